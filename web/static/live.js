// Every page: the one live-events socket (/api/events), and what it keeps current on any page:
// the unread count in the title and on the favicon, the top bar's counts, and new mail told to
// screen readers and, for whoever opted in, as browser notifications. Page scripts take the
// events from here: mailtrapLive.on((type, data) => ...) gets each event as the server sent it,
// then ("reconnect") once the socket is open again after a drop (changes meanwhile are lost).
// Mail strings reach the page through textContent only.
"use strict";
window.mailtrapLive = (() => {
  const body = document.body;
  const root = body.dataset.root;
  // Numbers as the server writes them ("1,234", its `thousands` filter): the page is English.
  const number = new Intl.NumberFormat("en-US");
  const count = (n) => number.format(n);
  const listeners = [];
  const $ = (id) => document.getElementById(id);

  // The favicon with the unread count on it: the plain icon drawn on a canvas with a badge,
  // set as a data: URL (img-src allows data:; no script but ours runs).
  const favicon = $("favicon");
  const plain = favicon.href;
  let shown = 0;
  let picture = null;
  const loadPicture = () => {
    const image = new Image();
    image.src = plain;
    return image.decode().then(() => image);
  };
  async function badge(unread) {
    if (unread === shown) return;
    shown = unread;
    if (!unread) {
      favicon.type = "image/svg+xml";
      favicon.href = plain;
      delete favicon.dataset.count;
      return;
    }
    picture ??= loadPicture();
    const image = await picture;
    if (shown !== unread) return;  // a newer count came meanwhile, and drew itself
    const text = unread > 99 ? "99+" : String(unread);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 64;
    const g = canvas.getContext("2d");
    g.drawImage(image, 0, 0, 64, 64);
    g.font = `bold ${text.length > 2 ? 26 : 34}px system-ui, sans-serif`;
    const height = 38;
    const width = Math.max(height, g.measureText(text).width + 14);
    g.fillStyle = "#dc2626";
    g.beginPath();
    g.roundRect(64 - width, 0, width, height, height / 2);
    g.fill();
    g.fillStyle = "#ffffff";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(text, 64 - width / 2, height / 2 + 2);
    favicon.type = "image/png";
    favicon.href = canvas.toDataURL("image/png");
    favicon.dataset.count = text;
  }

  function showUnread(unread) {
    document.title = (unread ? `(${count(unread)}) ` : "") + body.dataset.title;
    badge(unread).catch(() => {});  // a favicon that cannot be drawn is not worth an error
  }

  // Opt-in notifications: asked for only on a click of #notify (a page that has one), and
  // remembered for this origin in localStorage, so every page of the app notifies.
  const notifyButton = $("notify");
  const supported = "Notification" in window;
  const KEY = "mailtrap.notify";
  const store = (on) => { try { if (on) localStorage.setItem(KEY, "on"); else localStorage.removeItem(KEY); } catch { /* private mode */ } };
  const wanted = () => { try { return localStorage.getItem(KEY) === "on"; } catch { return false; } };
  const notifying = () => supported && wanted() && Notification.permission === "granted";
  function syncButton() {
    if (!notifyButton) return;
    notifyButton.hidden = !supported;
    if (!supported) return;
    const blocked = Notification.permission === "denied";
    notifyButton.setAttribute("aria-pressed", String(notifying()));
    notifyButton.disabled = blocked;
    notifyButton.title = blocked ? "The browser blocks notifications from this page: allow them in its site settings" : "";
  }
  notifyButton?.addEventListener("click", async () => {
    if (notifying()) {
      store(false);
    } else if ((await Notification.requestPermission()) === "granted") {
      store(true);
    }
    syncButton();
  });
  syncButton();

  // New mail since the last stats (one burst): told once, as one line, when the burst ends.
  let arrived = [];
  const sender = (m) => (m.From && (m.From.Name || m.From.Address)) || "(no sender)";
  function tell() {
    if (!arrived.length) return;
    const latest = arrived[arrived.length - 1];
    const many = arrived.length > 1 ? `${count(arrived.length)} new messages` : "";
    arrived = [];
    const subject = latest.Subject || "(no subject)";
    const line = many ? `${many}, the newest from ${sender(latest)}: ${subject}` : `New mail from ${sender(latest)}: ${subject}`;
    $("announce").textContent = line;
    if (!notifying()) return;
    let note;
    try {
      note = new Notification(many || `New mail from ${sender(latest)}`, {
        body: many ? `The newest from ${sender(latest)}: ${subject}` : subject,
        tag: "mailtrap-new",  // a newer one replaces it rather than piling up
        icon: plain,
      });
    } catch {
      return;  // Chrome on Android only notifies through a service worker
    }
    note.addEventListener("click", () => {
      window.focus();
      location.href = `${root}view/${encodeURIComponent(latest.ID)}`;
      note.close();
    });
  }

  function connect() {
    const url = new URL(`${root}api/events`, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    socket.addEventListener("message", (frame) => {
      const { Type: type, Data: data } = JSON.parse(frame.data);
      if (type === "new") arrived.push(data);
      if (type === "stats") {
        $("counts").textContent = `${count(data.Unread)} unread of ${count(data.Total)}`;
        showUnread(data.Unread);
        tell();
      }
      listeners.forEach((listener) => listener(type, data));
    });
    socket.addEventListener("close", () => setTimeout(() => {
      connect();
      listeners.forEach((listener) => listener("reconnect"));
    }, 1000));
  }

  showUnread(+body.dataset.unread);
  // Once every page script has run and subscribed, so none misses the first stats.
  document.addEventListener("DOMContentLoaded", connect);
  return { on: (listener) => listeners.push(listener), count };
})();
