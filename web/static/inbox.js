// The inbox: live updates over /api/events, selection, and bulk actions through the API.
// Message strings only ever reach the page through textContent, never innerHTML.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const $ = (id) => document.getElementById(id);
  const list = $("messages");
  const empty = $("empty");
  const busy = $("busy");
  const selectAll = $("select-all");
  const picks = ["mark-read", "mark-unread", "delete-selected"].map($);
  const deleteAll = $("delete-all");
  // The list on this page: the search `query` ("" for the inbox) from row `start`, `limit` rows
  // a page; `total` counts the whole list (the mailbox, or every match of the search). Only the
  // inbox's first page takes new mail in (`live`): on any other, rows would shift under the reader.
  const data = list.dataset;
  const view = { query: data.query, start: +data.start, limit: +data.limit, total: +data.total, live: data.live === "on" };
  const failed = document.querySelector(".error") !== null;  // the search could not run
  let working = false;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const size = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;
  const messages = (n) => `${n} message${n === 1 ? "" : "s"}`;
  const selected = () => [...list.querySelectorAll(".pick:checked")].map((box) => box.closest("li").dataset.id);

  // The count line, the pager, the empty state and the buttons, from `view` and the rows shown.
  function sync() {
    const rows = list.children.length;
    $("range").textContent = rows ? `${view.start + 1}–${view.start + rows} of ${view.total}` : "";
    $("newer").hidden = view.start === 0;
    $("older").hidden = view.start + view.limit >= view.total;
    empty.hidden = rows > 0 || failed;
    if (!rows) {
      empty.textContent = view.query ? "No message matches this search."
        : view.total ? "No more messages on this page." : empty.dataset.none;
    }
    const none = selected().length === 0;
    picks.forEach((b) => { b.disabled = working || none; });
    deleteAll.disabled = working || view.total === 0;
  }

  function row(m) {
    const li = el("li", m.Read ? "message" : "message unread");
    li.dataset.id = m.ID;
    const pick = el("input", "pick");
    pick.type = "checkbox";
    pick.setAttribute("aria-label", "Select message");
    const link = el("a", "row");
    link.id = `m-${m.ID}`;  // a message page's way back names it (#m-ID)
    link.href = `${root}view/${encodeURIComponent(m.ID)}${data.context ? `?${data.context}` : ""}`;
    const from = (m.From && (m.From.Name || m.From.Address)) || "(no sender)";
    link.append(el("span", "from", from), el("span", "subject", m.Subject || "(no subject)"), el("span", "snippet", m.Snippet));
    const meta = el("span", "meta");
    for (const tag of m.Tags) meta.append(el("span", "tag", tag));
    if (m.Attachments) meta.append($("clip-icon").content.firstElementChild.cloneNode(true));
    const time = el("time");
    time.dateTime = m.Created;
    window.mailtrapTime.show(time);
    meta.append(time, el("span", "size", size(m.Size)));
    link.append(meta);
    li.append(pick, link);
    return li;
  }

  function setCounts(total, unread) {
    $("counts").textContent = `${unread} unread of ${total}`;
    document.title = (unread ? `(${unread}) ` : "") + "Inbox · mailtrap";
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

  // This page's rows read again (after our own deletes, so that the page fills up again).
  async function reload() {
    const page = await (await api("GET", listPath(view.start, view.limit))).json();
    const keep = new Set(selected());
    list.replaceChildren(...page.messages.map(row));
    list.querySelectorAll("li").forEach((li) => { li.querySelector(".pick").checked = keep.has(li.dataset.id); });
    view.total = view.query ? page.messages_count : page.total;
    sync();
  }

  // A search's count, read again after a change (one request at a time, then one more if
  // anything changed meanwhile): its matches are not the mailbox's totals the events carry.
  let counting = null;
  let recountAgain = false;
  function recount() {
    if (counting) { recountAgain = true; return; }
    counting = api("GET", listPath(0, 0)).then((r) => r.json()).then((page) => {
      view.total = page.messages_count;
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
      if (after) await after();
      busy.textContent = "";
    } catch (error) {
      busy.textContent = `Failed: ${error.message}`;
    } finally {
      working = false;
      list.removeAttribute("aria-busy");
      sync();
    }
  }

  list.addEventListener("change", sync);
  selectAll.addEventListener("change", () => {
    list.querySelectorAll(".pick").forEach((box) => { box.checked = selectAll.checked; });
    sync();
  });
  $("mark-read").addEventListener("click", () => act("Marking read…", "PUT", "api/v1/messages", { IDs: selected(), Read: true }));
  $("mark-unread").addEventListener("click", () => act("Marking unread…", "PUT", "api/v1/messages", { IDs: selected(), Read: false }));
  $("delete-selected").addEventListener("click", () => {
    const ids = selected();
    if (ids.length) act(`Deleting ${messages(ids.length)}…`, "DELETE", "api/v1/messages", { IDs: ids }, reload);
  });
  deleteAll.addEventListener("click", () => {
    const question = view.query ? `Delete the ${messages(view.total)} matching ${view.query}?` : `Delete all ${messages(view.total)}?`;
    if (!window.confirm(question)) return;
    // On a search, only its matches (Mailpit's DELETE /api/v1/search); else everything.
    const path = view.query ? `api/v1/search?${new URLSearchParams({ query: view.query })}` : "api/v1/messages";
    act(`Deleting ${messages(view.total)}…`, "DELETE", path, undefined, reload);
  });

  let fresh = true;  // the first stats describe the mailbox the page was drawn from
  function connect() {
    const url = new URL(`${root}api/events`, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    socket.addEventListener("message", (frame) => {
      const { Type: type, Data: event } = JSON.parse(frame.data);
      const shown = event && event.ID ? list.querySelector(`li[data-id="${CSS.escape(event.ID)}"]`) : null;
      if (type === "stats") {
        setCounts(event.Total, event.Unread);
        if (!view.query) view.total = event.Total;
        else if (!fresh && !failed) recount();
        fresh = false;
      } else if (type === "new" && view.live) {
        list.prepend(row(event));
        view.total += 1;
        while (list.children.length > view.limit) list.lastElementChild.remove();
      } else if (type === "update" && "Read" in event) {
        shown?.classList.toggle("unread", !event.Read);
      } else if (type === "delete") {
        shown?.remove();
      } else if (type === "truncate" || type === "prune") {
        reload().catch(() => location.reload());
      }
      sync();
    });
    // Changes while disconnected are not replayed: read the page again on reconnecting.
    socket.addEventListener("close", () => setTimeout(() => { fresh = false; connect(); reload().catch(() => {}); }, 1000));
  }
  sync();
  connect();
})();
