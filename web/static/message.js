// One message: its tabs (the WAI-ARIA tabs pattern), the tabs loaded on demand, read state,
// delete, and j/k navigation. The HTML preview is static/preview.js, the tags static/tags.js.
// Every URL is the page's root path (body[data-root]: "/" or the --webroot) plus a route.
// The list the message was opened from (a search, a page) is in the links the server wrote:
// #back, #prev and #next, and .view[data-list]; this script only follows them.
// Mail strings reach the page through textContent only, and links as DOM nodes.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const view = document.querySelector(".view");
  const id = view.dataset.id;
  const tablist = document.querySelector("[role=tablist]");
  const tabs = [...tablist.querySelectorAll("[role=tab]")];
  const busy = document.getElementById("busy");
  const buttons = [...view.querySelectorAll(".toolbar button")];
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");

  // http(s) and mailto URLs in the text; punctuation that ends a sentence, and a closing
  // bracket that opens nowhere in the URL, are left out of them.
  const URLS = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
  const LINKED = new Set(["http:", "https:", "mailto:"]);
  const count = (text, char) => text.split(char).length - 1;
  function trim(url) {
    for (;;) {
      let cut = url.replace(/[.,;:!?*]+$/, "");
      for (const [open, close] of ["()", "[]", "{}"]) {
        if (cut.endsWith(close) && count(cut, close) > count(cut, open)) cut = cut.slice(0, -1);
      }
      if (cut === url) return url;
      url = cut;
    }
  }
  function linked(text) {
    const out = document.createDocumentFragment();
    let at = 0;
    for (const match of text.matchAll(URLS)) {
      const url = trim(match[0]);
      let target;
      try { target = new URL(url); } catch { continue; }
      if (!LINKED.has(target.protocol)) continue;
      const link = Object.assign(document.createElement("a"), {
        href: target.href, textContent: url, target: "_blank", rel: "noopener noreferrer",
      });
      out.append(text.slice(at, match.index), link);
      at = match.index + url.length;
    }
    out.append(text.slice(at));
    return out;
  }

  // The HTML source as the server tokenized it (web/htmlsource.py): each kind one CSS class.
  const KINDS = new Set(["d", "c", "t", "a", "e", "s", "n", "k", "p"]);
  function highlighted(tokens) {
    const out = document.createDocumentFragment();
    for (const [kind, text] of tokens) {
      if (!KINDS.has(kind)) { out.append(text); continue; }
      const span = document.createElement("span");
      span.className = `hl-${kind}`;
      span.textContent = text;
      out.append(span);
    }
    return out;
  }
  const number = new Intl.NumberFormat();

  // The text and the sources can be megabytes: fetched when their tab is first shown.
  async function load(panel) {
    const pre = panel.querySelector("pre[data-src]");
    if (!pre || pre.dataset.state) return;
    pre.dataset.state = "loading";
    pre.textContent = "Loading…";
    panel.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(pre.dataset.src);
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
      if (pre.dataset.kind === "tokens") {
        const source = await response.json();
        pre.replaceChildren(highlighted(source.tokens));
        const note = panel.querySelector(".note");
        if (source.highlighted < source.length) {
          note.textContent = `Highlighted up to character ${number.format(source.highlighted)} of ${number.format(source.length)}; the rest is plain text.`;
          note.hidden = false;
        }
      } else {
        const text = await response.text();
        if (!text) pre.textContent = pre.dataset.none || "";
        else if (pre.dataset.kind === "links") pre.replaceChildren(linked(text));
        else pre.textContent = text;
      }
      pre.dataset.state = "loaded";
    } catch (error) {
      pre.textContent = `This tab could not be loaded: ${error.message}`;
      delete pre.dataset.state;  // tried again when the tab is shown again
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  // The tab shown is in the URL (#source), so a reload shows it again, and Older/Newer/j/k
  // open the next message on the same tab. Only the selected tab is in the Tab order
  // (a roving tabindex); the arrow keys move between tabs while one has focus.
  function show(tab, { focus = false, chosen = true } = {}) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    // On a phone the strip scrolls sideways (app.css): the tab chosen is shown whole.
    if (chosen) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
    const panel = document.getElementById(tab.getAttribute("aria-controls"));
    load(panel);
    panel.dispatchEvent(new Event("tab-shown"));  // the check tabs load then (static/checks.js)
    const hash = tab === tabs[0] ? "" : tab.id.replace(/^tab-/, "#");
    history.replaceState(history.state, "", hash || location.pathname + location.search);
    for (const link of [prev, next]) if (link) link.hash = hash;
  }
  tabs.forEach((tab) => tab.addEventListener("click", () => show(tab)));
  tablist.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(event.target);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (at < 0 || to === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();  // the strip would scroll sideways too
    show(tabs[(to + tabs.length) % tabs.length], { focus: true });
  });
  const asked = location.hash.length > 1 && document.getElementById(`tab-${location.hash.slice(1)}`);
  show(tabs.includes(asked) ? asked : tabs[0], { chosen: false });

  // A thumbnail the server could not make (422: too large) leaves the type's icon, behind it.
  for (const thumb of document.querySelectorAll("img.thumb")) {
    if (thumb.complete && thumb.naturalWidth === 0) thumb.remove();
    else thumb.addEventListener("error", () => thumb.remove());
  }

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
  // Gone, so the list is opened at no row: on to the next message, or to the list's top.
  document.getElementById("delete").addEventListener("click", () =>
    act("Deleting…", "DELETE", { IDs: [id] }, () => (next ? next.href : view.dataset.list.replace(/#.*/, ""))));

  // j and k walk the list; the arrow keys are left to scroll the page (or move between tabs).
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.metaKey || event.ctrlKey || event.altKey) return;
    const link = { j: next, k: prev }[event.key];
    if (link) location.href = link.href;
  });
})();
