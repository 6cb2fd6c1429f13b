// The HTML check's tab: GET /api/v1/message/{ID}/html-check (Mailpit's HTMLCheckResponse)
// drawn as Mailpit's UI draws it: the overall support, a filter by email client, and each
// feature the mail uses with its support bar, where it was found, the clients with partial or
// no support, caniemail's notes and its page. Filtering clients out scores the features and
// the total again from the clients left, with the server's formula (mailtrap/checks/html.py):
// so with every client chosen the figures are the server's own.
import { bar, count, el, percent, plural, rich } from "./checkdom.js";

const HIDDEN = "mailtrap.html-check.hidden-clients";  // localStorage: families filtered out
const WHERE = { html: "in the HTML", css: "in the CSS", image: "among the images" };

// A result's client family by name ("Outlook"): the longest of its platform's families that
// its name ("Outlook Windows (2019)") starts with; the family's key when none does.
function familyName(result, platforms) {
  const names = (platforms[result.Platform] || []).filter((n) => result.Name.startsWith(`${n} `));
  return names.sort((a, b) => b.length - a.length)[0] || result.Family;
}

function rescored(warning, keep) {
  if (!warning.Results.length) return warning;  // nothing to filter: kept as it came
  const results = warning.Results.filter(keep);
  if (!results.length) return null;
  const n = { yes: 0, partial: 0, no: 0 };
  for (const r of results) n[r.Support === "yes" || r.Support === "partial" ? r.Support : "no"] += 1;
  const share = (k) => (100 * n[k]) / results.length;
  return { ...warning, Results: results, Score: {
    Found: warning.Score.Found, Supported: share("yes"), Partial: share("partial"), Unsupported: share("no"),
  } };
}

// The server's total: each warning's partial and unsupported shares weighed by the part of
// the mail it touches (found / nodes, at most 1); the worst of each is the total's.
function total(warnings, nodes) {
  const weight = (w, score) => score * Math.min(1, w.Score.Found / Math.max(nodes, 1));
  const unsupported = Math.max(0, ...warnings.map((w) => weight(w, w.Score.Unsupported)));
  const partial = Math.min(Math.max(0, ...warnings.map((w) => weight(w, w.Score.Partial))), 100 - unsupported);
  const badness = (w) => weight(w, w.Score.Unsupported + w.Score.Partial);
  warnings.sort((a, b) => badness(b) - badness(a) || (a.Slug < b.Slug ? -1 : 1));
  return { Supported: 100 - unsupported - partial, Partial: partial, Unsupported: unsupported };
}

function summary(sums, check) {
  const grade = sums.Unsupported < 5 && sums.Partial < 10 ? "good" : sums.Unsupported < 10 && sums.Partial < 15 ? "fair" : "poor";
  return el("div", { className: "check-summary" },
    el("p", { className: `score ${grade}` }, el("strong", { textContent: percent(sums.Supported) }), " supported"),
    bar(sums.Supported, sums.Partial, sums.Unsupported),
    el("p", { className: "legend" },
      el("span", {}, el("span", { className: "key yes" }), `${percent(sums.Supported)} supported`),
      el("span", {}, el("span", { className: "key partial" }), `${percent(sums.Partial)} partially supported`),
      el("span", {}, el("span", { className: "key no" }), `${percent(sums.Unsupported)} not supported`)),
    el("p", { className: "muted" },
      `Worst case over ${plural(check.Total.Nodes, "HTML element")}, from ${count(check.Total.Tests)} features looked for.`));
}

function clients(results, support, label) {
  const chosen = results.filter((r) => r.Support === support);
  if (!chosen.length) return null;
  return el("div", { className: `clients ${support}` },
    el("h3", { textContent: `${label} (${chosen.length})` }),
    el("ul", {}, ...chosen.map((r) => el("li", {}, r.Name,
      r.NoteNumber ? el("sup", { className: "note-ref", title: `note ${r.NoteNumber}`, textContent: `[${r.NoteNumber}]` }) : null))));
}

function warningItem(w, open) {
  const s = w.Score;
  const details = el("details", { className: "warning", open },
    el("summary", {},
      el("span", { className: "w-title", textContent: w.Title }),
      el("span", { className: "badge", textContent: w.Category }),
      el("span", { className: "badge", title: "times found", textContent: `×${count(s.Found)}` }),
      bar(s.Supported, s.Partial, s.Unsupported, "bar small"),
      el("span", { className: "w-score", textContent: `${Math.round(s.Supported)}% yes · ${Math.round(s.Partial)}% partial · ${Math.round(s.Unsupported)}% no` })),
    w.Description ? el("p", {}, rich(w.Description)) : null,
    el("p", { className: "where" }, `Found ${plural(s.Found, "time")} ${WHERE[w.Category] || ""}`.trim() + "."),
    clients(w.Results, "no", "Not supported"),
    clients(w.Results, "partial", "Partial support"));
  details.dataset.slug = w.Slug;
  const notes = Object.entries(w.NotesByNumber).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (notes.length) {
    details.append(el("h3", { textContent: "Notes" }),
      el("dl", { className: "notes" }, ...notes.flatMap(([n, text]) => [el("dt", { textContent: `[${n}]` }), el("dd", {}, rich(text))])));
  }
  if (w.URL) details.append(el("p", {}, el("a", { href: w.URL, target: "_blank", rel: "noopener noreferrer", textContent: `${w.Title} on caniemail.com` })));
  return el("li", {}, details);
}

function readHidden() {
  try { return new Set(JSON.parse(localStorage.getItem(HIDDEN) || "[]")); } catch { return new Set(); }
}

// The tab's content for `check`; returns [node, the line a screen reader hears].
export function drawHTMLCheck(check) {
  const families = new Map();  // key -> name
  for (const w of check.Warnings) for (const r of w.Results) if (!families.has(r.Family)) families.set(r.Family, familyName(r, check.Platforms));
  const hidden = readHidden();
  const out = el("div", { className: "html-check" });
  const shown = el("div");
  const boxes = [...families].sort((a, b) => a[1].localeCompare(b[1])).map(([key, name]) =>
    el("label", {}, el("input", { type: "checkbox", value: key, checked: !hidden.has(key) }), ` ${name}`));
  // Folded on a phone, where its 20-odd clients would push the results a screen down.
  const chosen = el("span", { className: "muted" });
  const filter = el("details", { className: "families", open: matchMedia("(min-width: 641px)").matches },
    el("summary", {}, "Email clients ", chosen),
    el("fieldset", {},
      el("legend", { className: "visually-hidden", textContent: "Email clients" }),
      el("div", { className: "family-actions" },
        el("button", { type: "button", textContent: "All", value: "all" }),
        el("button", { type: "button", textContent: "None", value: "none" })),
      el("div", { className: "family-list" }, ...boxes)));

  function draw() {
    const off = new Set(boxes.map((b) => b.firstChild).filter((b) => !b.checked).map((b) => b.value));
    try { localStorage.setItem(HIDDEN, JSON.stringify([...off])); } catch { /* storage off: not kept */ }
    chosen.textContent = `(${boxes.length - off.size} of ${boxes.length})`;
    const open = new Set([...shown.querySelectorAll("details[open]")].map((d) => d.dataset.slug));
    const warnings = check.Warnings.map((w) => rescored(w, (r) => !off.has(r.Family))).filter(Boolean);
    const sums = off.size ? total(warnings, check.Total.Nodes) : check.Total;
    shown.replaceChildren(summary(sums, check));
    if (!warnings.length) {
      shown.append(el("p", { className: "empty", textContent: check.Warnings.length ? "No feature of this mail was tested in the clients chosen." : "This mail uses no feature that caniemail.com tracks." }));
      return;
    }
    shown.append(el("h2", { textContent: `${plural(warnings.length, "feature")} used in ${plural(check.Total.Nodes, "HTML element")}` }),
      el("ul", { className: "warnings" }, ...warnings.map((w) => warningItem(w, open.has(w.Slug)))));
  }
  filter.addEventListener("change", draw);
  filter.addEventListener("click", (event) => {
    const all = event.target.closest("button")?.value;
    if (!all) return;
    for (const b of boxes) b.firstChild.checked = all === "all";
    draw();
  });
  draw();
  out.append(families.size ? filter : "", shown);
  return [out, `HTML check: ${percent(check.Total.Supported)} supported, ${plural(check.Warnings.length, "feature")} found.`];
}
