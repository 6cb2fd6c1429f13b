// One message: tabs, preview width, remote images, read state, delete, and j/k navigation.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
// The list the message was opened from (a search, a page) is in the links the server wrote:
// #back, #prev and #next, and .view[data-list]; this script only follows them.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const view = document.querySelector(".view");
  const id = view.dataset.id;
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const frame = document.getElementById("html-frame");
  const busy = document.getElementById("busy");
  const buttons = [...view.querySelectorAll(".toolbar button")];
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");

  // The text and the source can be megabytes: fetched when their tab is first shown, and
  // shown as text (textContent), never as markup.
  async function load(panel) {
    const pre = panel.querySelector("pre[data-src]");
    if (!pre || pre.dataset.state) return;
    pre.dataset.state = "loading";
    pre.textContent = "Loading…";
    panel.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(pre.dataset.src);
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
      pre.textContent = (await response.text()) || pre.dataset.none || "";
      pre.dataset.state = "loaded";
    } catch (error) {
      pre.textContent = `This tab could not be loaded: ${error.message}`;
      delete pre.dataset.state;  // tried again when the tab is shown again
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  // The tab shown is in the URL (#source), so a reload shows it again, and Older/Newer/j/k
  // open the next message on the same tab.
  function show(tab) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    load(document.getElementById(tab.getAttribute("aria-controls")));
    const hash = tab === tabs[0] ? "" : tab.id.replace(/^tab-/, "#");
    history.replaceState(history.state, "", hash || location.pathname + location.search);
    for (const link of [prev, next]) if (link) link.hash = hash;
  }
  tabs.forEach((tab) => tab.addEventListener("click", () => show(tab)));
  const asked = location.hash.length > 1 && document.getElementById(`tab-${location.hash.slice(1)}`);
  show(tabs.includes(asked) ? asked : tabs[0]);

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
    const text = await response.text();
    if (!response.ok) throw new Error(`${response.status} ${text.slice(0, 200)}`);
  };
  api("PUT", { IDs: [id], Read: true });  // opening a message in the UI marks it read

  // Buttons off and the action named until the server has answered, then on to `then()`.
  async function act(label, method, body, then) {
    buttons.forEach((b) => { b.disabled = true; });
    view.setAttribute("aria-busy", "true");
    busy.textContent = label;
    try {
      await api(method, body);
      location.href = then();
    } catch (error) {
      busy.textContent = `Failed: ${error.message}`;
      buttons.forEach((b) => { b.disabled = false; });
      view.removeAttribute("aria-busy");
    }
  }
  document.getElementById("mark-unread").addEventListener("click", () =>
    act("Marking unread…", "PUT", { IDs: [id], Read: false }, () => view.dataset.list));
  document.getElementById("delete").addEventListener("click", () =>
    act("Deleting…", "DELETE", { IDs: [id] }, () => (next ? next.href : view.dataset.list)));

  // j and k walk the list; the arrow keys are left to scroll the page.
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.metaKey || event.ctrlKey || event.altKey) return;
    const link = { j: next, k: prev }[event.key];
    if (link) location.href = link.href;
  });
})();
