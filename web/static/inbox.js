// The inbox: live updates over /api/events, selection, and bulk actions through the API.
// Message strings only ever reach the page through textContent, never innerHTML.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const list = document.getElementById("messages");
  const empty = document.getElementById("empty");
  const counts = document.getElementById("counts");
  const selectAll = document.getElementById("select-all");
  const buttons = ["mark-read", "mark-unread", "delete-selected"].map((id) => document.getElementById(id));

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const size = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;
  const selected = () => [...list.querySelectorAll(".pick:checked")].map((box) => box.closest("li").dataset.id);
  const refreshButtons = () => { const none = selected().length === 0; buttons.forEach((b) => { b.disabled = none; }); };

  function row(m) {
    const li = el("li", m.Read ? "message" : "message unread");
    li.dataset.id = m.ID;
    const pick = el("input", "pick");
    pick.type = "checkbox";
    pick.setAttribute("aria-label", "Select message");
    const link = el("a", "row");
    link.href = `${root}view/${encodeURIComponent(m.ID)}`;
    const from = (m.From && (m.From.Name || m.From.Address)) || "(no sender)";
    link.append(el("span", "from", from), el("span", "subject", m.Subject || "(no subject)"), el("span", "snippet", m.Snippet));
    const meta = el("span", "meta");
    for (const tag of m.Tags) meta.append(el("span", "tag", tag));
    if (m.Attachments) meta.append(document.getElementById("clip-icon").content.firstElementChild.cloneNode(true));
    const time = el("time", "", new Date(m.Created).toTimeString().slice(0, 8));
    time.dateTime = m.Created;
    meta.append(time, el("span", "size", size(m.Size)));
    link.append(meta);
    li.append(pick, link);
    return li;
  }

  function setCounts(total, unread) {
    counts.textContent = `${unread} unread of ${total}`;
    document.title = (unread ? `(${unread}) ` : "") + "Inbox · mailtrap";
  }

  async function api(method, path, body) {
    const response = await fetch(root + path, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  }

  list.addEventListener("change", refreshButtons);
  selectAll.addEventListener("change", () => {
    list.querySelectorAll(".pick").forEach((box) => { box.checked = selectAll.checked; });
    refreshButtons();
  });
  document.getElementById("mark-read").addEventListener("click", () => api("PUT", "api/v1/messages", { IDs: selected(), Read: true }));
  document.getElementById("mark-unread").addEventListener("click", () => api("PUT", "api/v1/messages", { IDs: selected(), Read: false }));
  document.getElementById("delete-selected").addEventListener("click", () => {
    const ids = selected();
    if (ids.length) api("DELETE", "api/v1/messages", { IDs: ids });
  });
  document.getElementById("delete-all").addEventListener("click", () => {
    if (window.confirm("Delete every message?")) api("DELETE", "api/v1/messages");
  });

  function connect() {
    const url = new URL(`${root}api/events`, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    socket.addEventListener("message", (frame) => {
      const { Type: type, Data: data } = JSON.parse(frame.data);
      if (type === "stats") setCounts(data.Total, data.Unread);
      else if (type === "new" && list.dataset.live === "on") {
        list.prepend(row(data));
        empty.hidden = true;
      } else if (type === "update" && "Read" in data) {
        list.querySelector(`li[data-id="${CSS.escape(data.ID)}"]`)?.classList.toggle("unread", !data.Read);
      } else if (type === "delete") {
        list.querySelector(`li[data-id="${CSS.escape(data.ID)}"]`)?.remove();
      } else if (type === "truncate" || type === "prune") {
        location.reload();
      }
      empty.hidden = list.children.length > 0;
      refreshButtons();
    });
    socket.addEventListener("close", () => setTimeout(connect, 1000));
  }
  connect();
})();
