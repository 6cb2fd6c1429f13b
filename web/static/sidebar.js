// The inbox's sidebar (templates/_sidebar.html): the mailbox's counts, from the live events;
// its tags and the database's size, read again from /api/v1/info after changes (at most one
// request a second, however fast mail comes); and, on a narrow screen, folded away behind the
// Mailbox button. Tag names reach the page through textContent only.
"use strict";
(() => {
  const { count, on } = window.mailtrapLive;
  const $ = (id) => document.getElementById(id);
  const root = document.body.dataset.root;
  const sidebar = $("sidebar");
  const toggle = $("sidebar-toggle");
  const here = $("messages").dataset.query;
  // The Inbox link names this page's size (?limit=), for the tag links to carry it on.
  const inboxLink = sidebar.querySelector(".folders a");
  const size = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;

  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    sidebar.classList.toggle("open", open);
  });

  function tagItem(tag, n) {
    const query = tag.includes(" ") ? `tag:"${tag}"` : `tag:${tag}`;
    const params = new URLSearchParams({ q: query });
    const limit = new URL(inboxLink.href).searchParams.get("limit");
    if (limit) params.set("limit", limit);
    const link = document.createElement("a");
    link.href = `${root}?${params}`;
    link.dataset.tag = tag;
    if (query === here) link.setAttribute("aria-current", "page");
    const name = document.createElement("span");
    name.className = "name";
    name.dir = "auto";
    name.textContent = tag;
    const number = document.createElement("span");
    number.className = "n";
    number.textContent = count(n);
    link.append(name, " ", number);
    const item = document.createElement("li");
    item.append(link);
    return item;
  }

  function show(info) {
    // In the server's order (ignoring case); a JSON object would put "2024" first.
    const tags = Object.entries(info.Tags).sort(([a], [b]) => {
      const [x, y] = [a.toLowerCase(), b.toLowerCase()];
      return x < y ? -1 : x > y ? 1 : 0;
    });
    $("tag-list").replaceChildren(...tags.map(([tag, n]) => tagItem(tag, n)));
    $("no-tags").hidden = tags.length > 0;
    $("db-size").textContent = size(info.DatabaseSize);
  }

  let reading = false;
  let again = false;
  async function refresh() {
    if (reading) { again = true; return; }
    reading = true;
    try {
      const response = await fetch(`${root}api/v1/info`);
      if (response.ok) show(await response.json());
    } catch { /* the next change tries again */ }
    setTimeout(() => {
      reading = false;
      if (again) { again = false; refresh(); }
    }, 1000);
  }

  let fresh = true;  // the first stats describe the mailbox the page was drawn from
  on((type, event) => {
    if (type !== "stats") return;
    $("n-total").textContent = count(event.Total);
    $("n-unread").textContent = count(event.Unread);
    if (!fresh) refresh();
    fresh = false;
  });
})();
