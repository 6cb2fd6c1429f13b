// Every time on a page, in the browser's own time zone and language: the server writes each as
// <time datetime="ISO 8601">, and this script alone words it, so a page drawn by the server and
// rows added live agree. A list shows "3 min ago" within the hour, the time of day today, the
// day and month this year and the full date before; `time.full` (a message's date) the whole
// date and time. Either way the hover title is the full date with its zone.
"use strict";
window.mailtrapTime = (() => {
  const formats = {
    title: new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" }),
    full: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }),
    clock: new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" }),
    dayMonth: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" }),
    date: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" }),
  };

  // How long ago, within the hour (a clock slightly ahead of the sender's counts as now).
  function ago(date, now) {
    const minutes = Math.floor((now - date) / 60000);
    if (minutes < -1 || minutes >= 60) return "";
    return minutes < 1 ? "just now" : `${minutes} min ago`;
  }

  function brief(date, now) {
    if (ago(date, now)) return ago(date, now);
    if (date.toDateString() === now.toDateString()) return formats.clock.format(date);
    if (date.getFullYear() === now.getFullYear()) return formats.dayMonth.format(date);
    return formats.date.format(date);
  }

  function show(time, now = new Date()) {
    const date = new Date(time.dateTime);
    if (Number.isNaN(date.getTime())) return;  // left as the server wrote it
    time.title = formats.title.format(date);
    if (!time.classList.contains("full")) {
      time.textContent = brief(date, now);
    } else {
      const recent = ago(date, now);
      time.textContent = formats.full.format(date) + (recent ? ` (${recent})` : "");
    }
  }

  const all = () => { const now = new Date(); document.querySelectorAll("time[datetime]").forEach((t) => show(t, now)); };
  all();
  setInterval(all, 30000);  // "3 min ago" must not stay 3 min
  return { show };
})();
