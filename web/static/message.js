// One message: tabs, preview width, remote images, read state, delete, and j/k navigation.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const view = document.querySelector(".view");
  const id = view.dataset.id;
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const frame = document.getElementById("html-frame");

  function show(tab) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
  }
  tabs.forEach((tab) => tab.addEventListener("click", () => show(tab)));

  document.querySelectorAll(".widths [data-width]").forEach((button, _, all) => {
    button.addEventListener("click", () => {
      all.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      frame.style.width = button.dataset.width ? `${button.dataset.width}px` : "100%";
    });
  });
  document.getElementById("remote-images")?.addEventListener("change", (event) => {
    frame.src = frame.dataset.src + (event.target.checked ? "?remote=1" : "");
  });

  // Resolves once the whole answer is in: leaving the page while its body is still on the
  // way would cancel the request (the change is made, but the browser reports it aborted).
  const api = async (method, body) => {
    const response = await fetch(`${root}api/v1/messages`, {
      method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    await response.text();
    if (!response.ok) throw new Error(`${method} ${root}api/v1/messages: ${response.status}`);
  };
  api("PUT", { IDs: [id], Read: true });  // opening a message in the UI marks it read
  document.getElementById("mark-unread").addEventListener("click", async () => {
    await api("PUT", { IDs: [id], Read: false });
    location.href = root;
  });
  document.getElementById("delete").addEventListener("click", async () => {
    await api("DELETE", { IDs: [id] });
    location.href = view.dataset.next ? `${root}view/${view.dataset.next}` : root;
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea") || event.metaKey || event.ctrlKey || event.altKey) return;
    const target = { j: view.dataset.next, ArrowDown: view.dataset.next, k: view.dataset.prev, ArrowUp: view.dataset.prev }[event.key];
    if (target) location.href = `${root}view/${target}`;
  });
})();
