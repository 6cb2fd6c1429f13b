// DOM helpers for the message checks (static/checks.js, static/htmlcheck.js). Every string
// from an answer reaches the page as a text node or a checked attribute, never as markup:
// URLs, snippets and rule texts come from the mail or from spamd.

// An element with properties and children: `el("td", { className: "n" }, "text", node)`.
// Strings among the children become text nodes (Node.append does that).
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// A link that opens in a new tab, for http(s) URLs only; anything else is left as text.
export function link(url, text = url) {
  let target;
  try { target = new URL(url, location.href); } catch { return document.createTextNode(text); }
  if (target.protocol !== "http:" && target.protocol !== "https:") return document.createTextNode(text);
  return el("a", { href: target.href, textContent: text, target: "_blank", rel: "noopener noreferrer" });
}

// caniemail's descriptions and notes are HTML (web/htmlcheck.py: `code` and links made from
// its Markdown). They are parsed into an inert document and copied element by element: only
// the few kinds below survive, links only to http(s) and without their other attributes;
// anything else leaves just its text.
const KEPT = new Set(["CODE", "A", "B", "STRONG", "EM", "I", "BR"]);
function copy(from) {
  const out = document.createDocumentFragment();
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) out.append(node.data);
    else if (node.nodeType !== Node.ELEMENT_NODE) continue;
    else if (node.tagName === "A") {
      const made = link(node.getAttribute("href") || "", "");
      if (made.nodeType === Node.ELEMENT_NODE) { made.append(copy(node)); out.append(made); }
      else out.append(copy(node));
    } else if (KEPT.has(node.tagName)) out.append(el(node.tagName.toLowerCase(), {}, copy(node)));
    else out.append(copy(node));
  }
  return out;
}
export function rich(html) {
  return copy(new DOMParser().parseFromString(html, "text/html").body);
}

const NUMBER = new Intl.NumberFormat("en-US");
const PERCENT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
export const count = (n) => NUMBER.format(n);
export const percent = (n) => `${PERCENT.format(n)}%`;
export const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

// A bar of supported / partial / unsupported shares. Decorative (aria-hidden): the same
// figures are always in the text beside it. Widths go through the CSSOM, which the pages'
// CSP allows (a style="" attribute it would not).
export function bar(supported, partial, unsupported, className = "bar") {
  const out = el("span", { className });
  out.setAttribute("aria-hidden", "true");
  for (const [kind, share] of [["yes", supported], ["partial", partial], ["no", unsupported]]) {
    const part = el("span", { className: kind });
    part.style.width = `${Math.max(0, Math.min(100, share))}%`;
    out.append(part);
  }
  return out;
}
