// The message checks' tabs (templates/_checks.html): the link check, the HTML check
// (static/htmlcheck.js), the accessibility check and SpamAssassin's verdict. A check is fetched
// when its tab is first shown (static/message.js sends the panel "tab-shown"); the link check
// only when the user asks, since it sends a request to every link in the mail. Meanwhile the
// panel is aria-busy and its status line shows a spinner and says what is going on; after,
// the status line tells screen readers the result in one sentence, or shows why it failed.
import { count, el, link, plural } from "./checkdom.js";
import { drawHTMLCheck } from "./htmlcheck.js";

// The reason an answer gives: FastAPI's `detail`, Mailpit's `Error`, or its text.
function reason(status, text) {
  let said = text;
  try {
    const body = JSON.parse(text);
    said = typeof body.detail === "string" ? body.detail : body.Error || JSON.stringify(body.detail ?? body);
  } catch { /* not JSON: the text as it is */ }
  return `${status}: ${String(said).slice(0, 300)}`;
}

function spinner(status, text) {
  const wheel = el("span", { className: "spinner" });
  wheel.setAttribute("aria-hidden", "true");
  status.className = "check-status";
  status.replaceChildren(wheel, `${text}…`);
}

// Fetches `url` for `panel` and draws the answer with `draw` ([node, sentence]); a failure
// is shown in the status line, and the check is tried again when asked again.
async function run(panel, url, draw) {
  const status = panel.querySelector(".check-status");
  const result = panel.querySelector(".check-result");
  panel.dataset.state = "loading";
  panel.setAttribute("aria-busy", "true");
  spinner(status, panel.dataset.what);
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const text = await response.text();
    if (!response.ok) throw new Error(reason(response.status, text));
    const [node, sentence] = draw(JSON.parse(text));
    result.replaceChildren(node);
    status.className = "check-status visually-hidden";
    status.textContent = sentence;
    panel.dataset.state = "loaded";
  } catch (error) {
    status.className = "check-status failed";
    status.textContent = `${panel.dataset.name} failed: ${error.message}`;
    delete panel.dataset.state;
  } finally {
    panel.removeAttribute("aria-busy");
  }
}

function drawLinks(check) {
  const ok = (l) => l.StatusCode > 0 && l.StatusCode < 400;
  const sentence = check.Links.length
    ? `Checked ${plural(check.Links.length, "link")}: ${plural(check.Errors, "error")}.`
    : "No links found in this message.";
  if (!check.Links.length) return [el("p", { className: "empty", textContent: sentence }), sentence];
  const rows = check.Links.map((l) => el("tr", { className: ok(l) ? "ok" : "bad" },
    el("td", { className: "url" }, link(l.URL)),
    el("td", { className: "status" },
      el("strong", { textContent: l.StatusCode ? String(l.StatusCode) : "—" }), " ", l.Status)));
  return [el("div", {},
    el("p", { className: check.Errors ? "score poor" : "score good", textContent: sentence }),
    el("table", { className: "check-table links" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", textContent: "URL" }), el("th", { scope: "col", textContent: "Status" }))),
      el("tbody", {}, ...rows))), sentence];
}

const SEVERITIES = [["error", "Errors", "Error"], ["warning", "Warnings", "Warning"]];
function drawA11y(check) {
  const t = check.Total;
  const sentence = check.Findings.length
    ? `Accessibility: ${plural(t.Errors, "error")} and ${plural(t.Warnings, "warning")} in ${plural(t.Nodes, "element")}.`
    : `No accessibility problem found in ${plural(t.Nodes, "element")}.`;
  const out = el("div", {}, el("p", { className: `score ${t.Errors ? "poor" : t.Warnings ? "fair" : "good"}`, textContent: sentence }));
  if (t.Truncated) out.append(el("p", { className: "muted", textContent: "The HTML is long: only its first part was checked." }));
  for (const [severity, heading, label] of SEVERITIES) {
    const findings = check.Findings.filter((f) => f.Severity === severity);
    if (!findings.length) continue;
    out.append(el("h2", { textContent: `${heading} (${findings.length})` }),
      el("ul", { className: "findings" }, ...findings.map((f) => el("li", {},
        el("details", { open: severity === "error" },
          el("summary", {}, el("span", { className: `severity sev-${severity}`, textContent: label }),
            el("span", { className: "w-title", textContent: f.Title }), el("code", { textContent: f.Rule }),
            el("span", { className: "badge", title: "places", textContent: `×${count(f.Count)}` })),
          el("p", { textContent: f.Description }),
          el("ol", { className: "places" }, ...f.Occurrences.map((o) => el("li", {},
            el("code", { className: "selector", textContent: o.Selector }),
            el("code", { className: "markup", textContent: o.Snippet }),
            o.Detail ? el("span", { className: "detail", textContent: o.Detail }) : null))),
          f.Count > f.Occurrences.length
            ? el("p", { className: "muted", textContent: `… and ${plural(f.Count - f.Occurrences.length, "more place")}.` }) : null)))));
  }
  return [out, sentence];
}

const score = (n) => String(Number(n.toFixed(3)));
function drawSpam(check) {
  if (check.Error) throw new Error(`SpamAssassin gave no verdict: ${check.Error}`);
  const verdict = check.IsSpam ? "Spam" : "Not spam";
  const sentence = `SpamAssassin: ${verdict}, score ${score(check.Score)}.`;
  const rules = [...check.Rules].sort((a, b) => b.Score - a.Score).map((r) => el("tr", {},
    el("td", { className: "n", textContent: score(r.Score) }), el("td", {}, el("code", { textContent: r.Name })),
    el("td", { textContent: r.Description })));
  return [el("div", {},
    el("p", { className: `score ${check.IsSpam ? "poor" : "good"}` },
      el("strong", { textContent: score(check.Score) }), " points ",
      el("span", { className: `verdict ${check.IsSpam ? "spam" : "ham"}`, textContent: verdict })),
    rules.length ? el("table", { className: "check-table rules" },
      el("caption", { textContent: `Rules hit (${rules.length})` }),
      el("thead", {}, el("tr", {}, ...["Score", "Rule", "Description"].map((h) => el("th", { scope: "col", textContent: h })))),
      el("tbody", {}, ...rules)) : el("p", { className: "empty", textContent: "No rule hit." })), sentence];
}

const DRAW = { "html-check": drawHTMLCheck, "a11y-check": drawA11y, "spam-check": drawSpam };
for (const panel of document.querySelectorAll(".panel[data-check]")) {
  const draw = DRAW[panel.dataset.check];
  const start = () => { if (draw && !panel.dataset.state) run(panel, panel.dataset.src, draw); };
  panel.addEventListener("tab-shown", start);
  if (!panel.hidden) start();  // its tab was shown (from the URL's #hash) before this ran
}

const form = document.getElementById("link-form");
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const panel = form.closest(".panel");
  const button = form.querySelector("button");
  if (panel.dataset.state === "loading") return;
  button.disabled = true;
  panel.querySelector(".check-result").replaceChildren();
  await run(panel, `${panel.dataset.src}?follow=${form.elements.follow.checked}`, drawLinks);
  button.disabled = false;
  button.textContent = "Check links again";
});
