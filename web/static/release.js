// The message page's Release action (only on a server with a relay): the toolbar's Release
// button opens a form for the recipients; Send posts them to /api/v1/message/ID/release and
// shows what the relay said, or why the release was refused, in the form's status line.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const id = document.querySelector(".view").dataset.id;
  const toggle = document.getElementById("release");
  const form = document.getElementById("release-form");
  const input = document.getElementById("release-to");
  const status = document.getElementById("release-status");
  const send = form.querySelector("button[type=submit]");

  function open(shown) {
    form.hidden = !shown;
    toggle.setAttribute("aria-expanded", String(shown));
    if (shown) input.focus();
    else toggle.focus();
  }
  toggle.addEventListener("click", () => open(form.hidden));
  document.getElementById("release-cancel").addEventListener("click", () => open(false));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") open(false);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const to = input.value.split(",").map((a) => a.trim()).filter(Boolean);
    send.disabled = true;
    form.setAttribute("aria-busy", "true");
    status.classList.remove("failed");
    status.textContent = `Releasing to ${to.join(", ")}…`;
    try {
      const response = await fetch(`${root}api/v1/message/${encodeURIComponent(id)}/release`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ To: to }),
      });
      const text = await response.text();
      if (!response.ok) {
        let detail = text;
        try { detail = JSON.parse(text).detail; } catch { /* not JSON: the text itself */ }
        throw new Error(typeof detail === "string" ? detail : text.slice(0, 300));
      }
      status.textContent = `Released to ${to.join(", ")}. The relay said: ${text.replace(/^ok: /, "")}`;
    } catch (error) {
      status.classList.add("failed");
      status.textContent = `Not released: ${error.message}`;
    } finally {
      send.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
})();
