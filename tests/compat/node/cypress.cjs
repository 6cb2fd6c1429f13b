// cypress-mailpit 2.0.0's own command code, run outside Cypress: Cypress cannot run here, so
// `Cypress` and `cy` are stand-ins and cy.request is Node's fetch with cy.request's defaults
// (JSON bodies, `qs` query strings, redirects followed, a failure on any status but 2xx/3xx).
// The requests are the package's own, unchanged; `requests` lists them all.
// argv: cypress-mailpit's directory, mailtrap's URL (its MAILPIT_URL), and optionally the
// comma-separated steps to run (default: all but the GTUBE ones, which need a spamd) and the
// GTUBE string they send.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { run } = require("./harness.cjs");

const [packageDir, baseUrl, only, gtube] = process.argv.slice(2);
const chosen = only ? new Set(only.split(",")) : null;
const needSpamd = new Set(["sendGtube", "spamAssassinGtube"]);
const requests = [];

/** A Cypress chain: `.then(fn)` passes the subject on; a chain returned by `fn` is awaited. */
class Chain {
  constructor(promise) {
    this.promise = promise;
  }
  then(onValue, onError) {
    return new Chain(
      this.promise.then(
        (value) => unwrap(onValue(value)),
        onError && ((error) => unwrap(onError(error))),
      ),
    );
  }
}
const unwrap = (value) => (value instanceof Chain ? value.promise : value);

/** RFC 3986 encoding, as cy.request's `qs` option (the qs package) does it. */
const queryString = (qs) =>
  Object.entries(qs)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join("&");

async function cyRequest(options) {
  const { method = "GET", auth, body, qs, followRedirect = true, failOnStatusCode = true } =
    options;
  let url = options.url;
  if (qs) url += (url.includes("?") ? "&" : "?") + queryString(qs);
  const headers = { accept: "*/*", "user-agent": "Mozilla/5.0 Cypress/15.11.0" };
  let payload;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (typeof body !== "string") headers["content-type"] = "application/json";
  }
  if (auth) headers.authorization = `Basic ${btoa(`${auth.user}:${auth.pass}`)}`;
  const response = await fetch(url, {
    method,
    headers,
    body: payload,
    redirect: followRedirect ? "follow" : "manual",
  });
  const text = await response.text();
  requests.push({ method, url, body: body ?? null, status: response.status, redirected: response.redirected });
  const type = response.headers.get("content-type") || "";
  let parsed = text;
  if (type.includes("json")) parsed = JSON.parse(text);
  if (failOnStatusCode && !(response.status >= 200 && response.status < 400)) {
    throw new Error(`cy.request() failed on ${method} ${url}: ${response.status}: ${text}`);
  }
  return { status: response.status, body: parsed, headers: Object.fromEntries(response.headers) };
}

globalThis.Cypress = {
  expose: (name) => (name === "MAILPIT_URL" ? baseUrl : undefined),
  config: (name) => (name === "defaultCommandTimeout" ? 4000 : undefined),
};
globalThis.cy = {
  env: (names) => new Chain(Promise.resolve(Object.fromEntries(names.map((n) => [n, undefined])))),
  wrap: (value) => new Chain(Promise.resolve(value)),
  wait: (ms) => new Chain(new Promise((resolve) => setTimeout(resolve, ms))),
  request: (options) => new Chain(cyRequest(options)),
};

(async () => {
  // The package ships ES module syntax without "type": "module": import a copy as .mjs.
  const source = path.join(packageDir, "dist", "src", "MailpitCommands.js");
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cypress-mailpit-")), "c.mjs");
  fs.copyFileSync(source, copy);
  const { MailpitCommands } = await import(pathToFileURL(copy).href);
  const mp = new MailpitCommands();
  const quick = { timeout: 2000, interval: 100 };
  const response = async (chain) => {
    const { status, body } = await chain.promise;
    return { status, body };
  };
  const unread = async () => (await mp.mailpitGetAllMails().promise).unread;
  let welcome;
  let reset;
  let spam;

  const steps = [
    ["commands", async () => [...MailpitCommands.parentCypressCommands,
      ...MailpitCommands.childCypressCommands].sort()],
    ["deleteAllFirst", () => response(mp.mailpitDeleteAllEmails())],
    ["sendDefaults", async () => (welcome = await mp.mailpitSendMail().promise)],
    ["sendReset", async () => (reset = await mp.mailpitSendMail({
      from: { Email: "app@example.com", Name: "App" },
      to: [{ Email: "ann@example.com", Name: "Ann" }],
      cc: [],
      bcc: [],
      replyTo: [],
      subject: "Reset your password",
      textBody: "Your code is 482913",
      htmlBody: '<p>Reset it <a href="https://app.example/reset/abc">here</a></p>',
      attachments: [{ Content: Buffer.from("report").toString("base64"), Filename: "report.txt" }],
      headers: { "X-Test": "cypress" },
      tags: ["auth"],
    }).promise)],
    ["getAllMails", async () => {
      const all = await mp.mailpitGetAllMails().promise;
      return { total: all.total, subjects: all.messages.map((m) => m.Subject) };
    }],
    ["getLatest", async () => (await mp.mailpitGetMail().promise).ID],
    ["getWelcome", async () => {
      const m = await mp.mailpitGetMail(welcome.ID).promise;
      return { From: m.From, To: m.To, Cc: m.Cc, Bcc: m.Bcc, ReplyTo: m.ReplyTo, Text: m.Text };
    }],
    ["childGetters", async () => {
      const m = await mp.mailpitGetMail(reset.ID).promise;
      return {
        subject: await mp.mailpitGetSubject(m).promise,
        recipients: await mp.mailpitGetRecipientAddress(m).promise,
        from: await mp.mailpitGetFromAddress(m).promise,
        attachments: await mp.mailpitGetAttachments(m).promise,
      };
    }],
    ["htmlBody", () => mp.mailpitGetMailHTMlBody(reset).promise],
    ["textBody", () => mp.mailpitGetMailTextBody(reset).promise],
    ["spamAssassin", () => mp.mailpitGetMailSpamAssassinSummary(reset).promise],
    ["spamAssassinOldName", () => mp.mailpitGetMailSpamAssainSummary(reset).promise],
    ["sendGtube", async () => (spam = await mp.mailpitSendMail({
      from: { Email: "offers@example.com" },
      to: [{ Email: "ann@example.com" }],
      subject: "A special offer",
      textBody: `Buy now.\n${gtube}\n`,
    }).promise)],
    ["spamAssassinGtube", () => mp.mailpitGetMailSpamAssassinSummary(spam).promise],
    ["search", async () => (await mp.mailpitSearchEmails("tag:auth").promise).messages_count],
    ["bySubject", async () =>
      (await mp.mailpitGetEmailsBySubject("Hello Mailpit").promise).messages_count],
    ["byTo", async () =>
      (await mp.mailpitGetEmailsByTo("jane@example.com").promise).messages_count],
    ["hasBySubject", async () =>
      (await mp.mailpitHasEmailsBySubject("Reset", 0, 50, quick).promise).messages_count],
    ["hasByTo", async () =>
      (await mp.mailpitHasEmailsByTo("ann@example.com", 0, 50, quick).promise).messages_count],
    ["hasBySearch", async () =>
      (await mp.mailpitHasEmailsBySearch("from:app@example.com", 0, 50, quick).promise)
        .messages_count],
    ["notHasBySubject", async () =>
      (await mp.mailpitNotHasEmailsBySubject("Invoice", 0, 50, quick).promise).messages_count],
    ["notHasByTo", async () =>
      (await mp.mailpitNotHasEmailsByTo("nobody@example.com", 0, 50, quick).promise)
        .messages_count],
    ["notHasBySearch", async () =>
      (await mp.mailpitNotHasEmailsBySearch("tag:none", 0, 50, quick).promise).messages_count],
    ["hasTimesOut", () =>
      mp.mailpitHasEmailsBySubject("Invoice", 0, 50, { timeout: 300, interval: 100 }).promise],
    ["setAllRead", () => mp.mailpitSetAllEmailStatusAsRead().promise],
    ["unreadAfterAllRead", unread],
    ["setAllUnread", () => mp.mailpitSetAllEmailStatusAsUnRead().promise],
    ["unreadAfterAllUnread", unread],
    ["setOneRead", () => mp.mailpitSetStatusAsRead(reset).promise],
    ["unreadAfterOneRead", unread],
    ["setListUnread", async () => {
      const { messages } = await mp.mailpitGetAllMails().promise;
      return mp.mailpitSetStatusAsUnRead(messages).promise;
    }],
    ["unreadAfterListUnread", unread],
    ["deleteBySearch", () => response(mp.mailpitDeleteEmailsBySearch("subject:Reset"))],
    ["afterDeleteBySearch", async () =>
      (await mp.mailpitGetAllMails().promise).messages.map((m) => m.Subject)],
    ["deleteAll", () => response(mp.mailpitDeleteAllEmails())],
    ["afterDeleteAll", async () => (await mp.mailpitGetAllMails().promise).total],
    ["requests", async () => requests],
  ];
  await run(steps.filter(([name]) => (chosen ? chosen.has(name) : !needSpamd.has(name))));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
