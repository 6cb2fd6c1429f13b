// The HTML preview: its width presets, remote images, and its height, grown to the mail's so
// that the page scrolls, not a box inside it. The frame is sandboxed with allow-same-origin
// and without allow-scripts (web/pages.py, mail_html, says why that is safe): its document
// is ours to measure, and runs no script of its own.
"use strict";
(() => {
  const frame = document.getElementById("html-frame");
  const box = frame.parentElement;
  const LEAST = 120;  // px: an empty mail still looks like a preview

  // The mail's document, once it is the mail's (not the frame's first about:blank).
  function mail() {
    const doc = frame.contentDocument;
    return doc && doc.documentElement && doc.URL !== "about:blank" ? doc : null;
  }

  // The mail's height at the frame's width, measured with the frame at no height: a mail
  // sized in viewport units (height: 100vh) would otherwise grow with the frame, each
  // measurement feeding the next. The box keeps its height meanwhile, so the page's scroll
  // position stays where the reader left it.
  function fit() {
    const doc = mail();
    if (!doc || frame.offsetWidth === 0) return;  // not loaded, or its tab is hidden
    box.style.minHeight = `${box.offsetHeight}px`;
    frame.style.height = "0px";
    const height = Math.max(LEAST, doc.documentElement.scrollHeight);
    const borders = frame.offsetHeight - frame.clientHeight;  // the style sizes the border box
    frame.style.height = `${height + borders}px`;
    box.style.minHeight = "";
  }

  // Measured again when the mail's own layout changes (a <details> opened, an image decoded)
  // and when the frame's width does (presets, the window, its tab shown); not when only its
  // height does, which is fit()'s own doing.
  const content = new ResizeObserver(fit);
  let width = -1;
  new ResizeObserver(() => {
    if (frame.offsetWidth !== width) { width = frame.offsetWidth; fit(); }
  }).observe(frame);
  function loaded() {
    const doc = mail();
    if (!doc) return;
    content.disconnect();
    content.observe(doc.documentElement);
    fit();
  }
  frame.addEventListener("load", loaded);
  if (mail()?.readyState === "complete") loaded();  // it loaded before this script ran

  document.querySelectorAll(".widths [data-width]").forEach((button, _, all) => {
    button.addEventListener("click", () => {
      all.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      frame.style.width = button.dataset.width ? `${button.dataset.width}px` : "100%";
    });
  });
  document.getElementById("remote-images").addEventListener("change", (event) => {
    frame.src = frame.dataset.src + (event.target.checked ? "?remote=1" : "");
  });
})();
