// The inbox (or a search's matches): the list kept current from the live events (live.js),
// selection (shift-click picks a range), the page size, and the actions, through the API.
// Message strings only ever reach the page through textContent, never innerHTML.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const { count, on } = window.mailtrapLive;
  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const empty = $("empty");
  const busy = $("busy");
  const selectAll = $("select-all");
  const picks = ["mark-read", "mark-unread", "delete-selected"].map($);
  const markAllRead = $("mark-all-read");
  const deleteAll = $("delete-all");
  // The list on this page: the search `query` ("" for the inbox) from row `start`, `limit` rows
  // a page; `total` and `unread` count the whole list (the mailbox, or every match of the
  // search). Only the inbox's first page takes new mail in (`live`): on any other, rows would
  // shift under the reader.
  const data = list.dataset;
  const view = {
    query: data.query, start: +data.start, limit: +data.limit, total: +data.total, unread: +data.unread, live: data.live === "on",
  };
  const failed = document.querySelector(".error") !== null;  // the search could not run
  let working = false;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const auto = (node) => { node.dir = "auto"; return node; };  // Hebrew and Arabic sit right
  const size = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;
  const messages = (n) => `${count(n)} message${n === 1 ? "" : "s"}`;
  const boxes = () => [...list.querySelectorAll(".pick")];
  const selected = () => boxes().filter((box) => box.checked).map((box) => box.closest("li").dataset.id);
  // A list page's URL, as the server's navigation.list_query writes it (the default size unsaid).
  function listUrl(query, start, limit) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (start > 0) params.set("start", start);
    if (limit !== +data.defaultLimit) params.set("limit", limit);
    return `${root}${params.size ? `?${params}` : ""}`;
  }
  const tagQuery = (tag) => (tag.includes(" ") ? `tag:"${tag}"` : `tag:${tag}`);

  // The count line, the pager, the empty state and the buttons, from `view` and the rows shown.
  function sync() {
    const rows = list.children.length;
    $("range").textContent = rows ? `${count(view.start + 1)}–${count(view.start + rows)} of ${count(view.total)}` : "";
    $("newer").hidden = view.start === 0;
    $("older").hidden = view.start + view.limit >= view.total;
    empty.hidden = rows > 0 || failed;
    if (!rows) {
      empty.textContent = view.query ? "No message matches this search."
        : view.total ? "No more messages on this page." : empty.dataset.none;
    }
    const chosen = selected().length;
    picks.forEach((b) => { b.disabled = working || chosen === 0; });
    selectAll.checked = rows > 0 && chosen === rows;
    selectAll.indeterminate = chosen > 0 && chosen < rows;
    markAllRead.disabled = working || view.unread === 0 || failed;
    deleteAll.disabled = working || view.total === 0;
  }

  function setRead(li, read) {
    li.classList.toggle("unread", !read);
    li.querySelector(".state").textContent = read ? "" : "Unread";  // not in bold alone
  }

  function setTags(li, tags) {
    const meta = li.querySelector(".meta");
    meta.querySelectorAll(".tag").forEach((tag) => tag.remove());
    meta.prepend(...tags.map((tag) => {
      const link = auto(el("a", "tag", tag));
      link.href = listUrl(tagQuery(tag), 0, view.limit);
      return link;
    }));
  }

  // A row as the server draws it (templates/inbox.html).
  function row(m) {
    const li = el("li", "message");
    li.dataset.id = m.ID;
    const subject = m.Subject || "(no subject)";
    const pick = el("input", "pick");
    pick.type = "checkbox";
    pick.setAttribute("aria-label", `Select: ${subject}`);
    const link = el("a", "row");
    link.id = `m-${m.ID}`;  // a message page's way back names it (#m-ID)
    link.href = `${root}view/${encodeURIComponent(m.ID)}${data.context ? `?${data.context}` : ""}`;
    const from = (m.From && (m.From.Name || m.From.Address)) || "(no sender)";
    const to = m.To.length ? m.To : m.Cc.length ? m.Cc : m.Bcc;
    const toLine = el("span", "to");
    toLine.append(el("span", "label", "To:"), " ", el("bdi", "", to.length ? to[0].Name || to[0].Address : "(no recipient)"));
    if (to.length > 1) {
      const more = el("span", "more", `+${count(to.length - 1)}`);
      more.title = to.slice(1).map((a) => (a.Name ? `"${a.Name}" <${a.Address}>` : a.Address)).join(", ");
      toLine.append(" ", more);
    }
    link.append(el("span", "state visually-hidden"), auto(el("span", "from", from)), toLine,
      auto(el("span", "subject", subject)), auto(el("span", "snippet", m.Snippet)));
    const meta = el("span", "meta");
    if (m.Attachments) meta.append($("clip-icon").content.firstElementChild.cloneNode(true));
    const time = el("time");
    time.dateTime = m.Created;
    window.mailtrapTime.show(time);
    meta.append(time, el("span", "size", size(m.Size)));
    li.append(pick, link, meta);
    setRead(li, m.Read);
    setTags(li, m.Tags);
    return li;
  }

  async function api(method, path, body) {
    const response = await fetch(root + path, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
    return response;
  }
  const listPath = (start, limit) => {
    const params = new URLSearchParams({ start, limit });
    if (!view.query) return `api/v1/messages?${params}`;
    params.set("query", view.query);
    return `api/v1/search?${params}`;
  };
  const counts = (page) => {
    view.total = view.query ? page.messages_count : page.total;
    view.unread = view.query ? page.messages_unread : page.unread;
  };

  // This page's rows read again (after our own deletes, so that the page fills up again).
  async function reload() {
    const page = await (await api("GET", listPath(view.start, view.limit))).json();
    const keep = new Set(selected());
    list.replaceChildren(...page.messages.map(row));
    list.querySelectorAll("li").forEach((li) => { li.querySelector(".pick").checked = keep.has(li.dataset.id); });
    counts(page);
    sync();
  }

  // A search's counts, read again after a change (one request at a time, then one more if
  // anything changed meanwhile): its matches are not the mailbox's totals the events carry.
  let counting = null;
  let recountAgain = false;
  function recount() {
    if (counting) { recountAgain = true; return; }
    counting = api("GET", listPath(0, 0)).then((r) => r.json()).then((page) => {
      counts(page);
      sync();
    }).catch(() => {}).finally(() => {
      counting = null;
      if (recountAgain) { recountAgain = false; recount(); }
    });
  }

  // Buttons off and "Deleting…" shown until the server has answered (a delete of 100,000
  // messages takes seconds); a refusal is shown in the same place.
  async function act(label, method, path, body, after) {
    working = true;
    busy.textContent = label;
    list.setAttribute("aria-busy", "true");
    sync();
    try {
      await api(method, path, body);
      // A search's counts are its matches, which no event carries, and the page's first event
      // may come after this change: read them again rather than wait on the socket for them.
      if (after) await after();
      else if (view.query) await reload();
      busy.textContent = "";
    } catch (error) {
      busy.textContent = `Failed: ${error.message}`;
    } finally {
      working = false;
      list.removeAttribute("aria-busy");
      sync();
    }
  }

  // Shift-click picks every row between the last box clicked and this one, as that one is.
  let anchor = null;
  list.addEventListener("click", (event) => {
    const box = event.target.closest(".pick");
    if (!box) return;
    const all = boxes();
    if (event.shiftKey && all.includes(anchor)) {
      const [from, to] = [all.indexOf(anchor), all.indexOf(box)].sort((a, b) => a - b);
      all.slice(from, to + 1).forEach((other) => { other.checked = box.checked; });
    }
    anchor = box;
    sync();
  });
  list.addEventListener("change", sync);
  selectAll.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = selectAll.checked; });
    sync();
  });
  $("page-size").addEventListener("change", (event) => {
    const limit = +event.target.value;  // the page that holds this page's first row
    location.href = listUrl(view.query, Math.floor(view.start / limit) * limit, limit);
  });
  $("mark-read").addEventListener("click", () => act("Marking read…", "PUT", "api/v1/messages", { IDs: selected(), Read: true }));
  $("mark-unread").addEventListener("click", () => act("Marking unread…", "PUT", "api/v1/messages", { IDs: selected(), Read: false }));
  $("delete-selected").addEventListener("click", () => {
    const ids = selected();
    if (ids.length) act(`Deleting ${messages(ids.length)}…`, "DELETE", "api/v1/messages", { IDs: ids }, reload);
  });
  // "All" is the list shown: on a search, its matches only (as Mailpit's search endpoints).
  markAllRead.addEventListener("click", () => {
    const body = view.query ? { Search: view.query, Read: true } : { Read: true };
    act(`Marking ${messages(view.unread)} read…`, "PUT", "api/v1/messages", body);
  });
  deleteAll.addEventListener("click", () => {
    const question = view.query ? `Delete the ${messages(view.total)} matching ${view.query}?` : `Delete all ${messages(view.total)}?`;
    if (!window.confirm(question)) return;
    const path = view.query ? `api/v1/search?${new URLSearchParams({ query: view.query })}` : "api/v1/messages";
    act(`Deleting ${messages(view.total)}…`, "DELETE", path, undefined, reload);
  });

  let fresh = true;  // the first stats describe the mailbox the page was drawn from
  on((type, event) => {
    if (type === "reconnect") {  // changes while disconnected are not replayed
      fresh = false;
      reload().catch(() => {});
      return;
    }
    const shown = event && event.ID ? list.querySelector(`li[data-id="${CSS.escape(event.ID)}"]`) : null;
    if (type === "stats") {
      if (!view.query) {
        view.total = event.Total;
        view.unread = event.Unread;
      } else if (!fresh && !failed) recount();
      fresh = false;
    } else if (type === "new" && view.live) {
      list.prepend(row(event));
      view.total += 1;
      while (list.children.length > view.limit) list.lastElementChild.remove();
    } else if (type === "update" && shown) {
      if ("Read" in event) setRead(shown, event.Read);
      if ("Tags" in event) setTags(shown, event.Tags);
    } else if (type === "delete") {
      shown?.remove();
    } else if (type === "truncate" || type === "prune") {
      reload().catch(() => location.reload());
    }
    sync();
  });
  sync();
})();
