// cypress-mailhog 2.5.0's own command code, run outside Cypress: Cypress cannot run here, so
// `Cypress` and `cy` are stand-ins. The package registers its commands through
// Cypress.Commands.add; each is then called as a test would (a child command gets its subject
// first). cy.request is Node's fetch with cy.request's defaults (a failure on a status that is
// not 2xx/3xx unless failOnStatusCode is false; a JSON body parsed when the type says JSON);
// cy.verifyUpcomingAssertions passes the subject on (no retries: the mail is already there);
// `.should` checks the two chainers the package uses. `requests` lists every request made.
// argv: cypress-mailhog's directory, mailtrap's URL. The mail is sent before this runs.
"use strict";
const path = require("node:path");
const { run } = require("./harness.cjs");

const [packageDir, baseUrl] = process.argv.slice(2);
const requests = [];

/** Every chain made, as Cypress's command queue has them: a command that builds a chain and
 * returns nothing (`mhHasMailFrom`) still runs it, and its failure fails the test. */
const queued = [];

/** A Cypress chain: `.then(fn)` passes the subject on; a chain returned by `fn` is awaited. */
class Chain {
  constructor(promise) {
    this.promise = promise;
    queued.push(promise);
    promise.catch(() => {}); // reported by `call`, which awaits every queued chain
  }
  then(onValue) {
    return new Chain(this.promise.then((value) => unwrap(onValue(value))));
  }
  its(name) {
    return this.then((value) => value[name]);
  }
  should(chainer, expected) {
    return this.then((value) => {
      const ok = {
        "not.have.length": () => value.length !== expected,
        "to.have.length.greaterThan": () => value.length > expected,
      }[chainer];
      if (!ok) throw new Error(`the stand-in has no chainer ${chainer}`);
      if (!ok()) throw new Error(`expected ${JSON.stringify(value)} ${chainer} ${expected}`);
      return value;
    });
  }
}
const unwrap = (value) => (value instanceof Chain ? value.promise : value);

async function cyRequest(options) {
  const { method = "GET", url, auth, failOnStatusCode = true } = options;
  const headers = { accept: "*/*", "user-agent": "Mozilla/5.0 Cypress/12.13.0" };
  if (auth) headers.authorization = `Basic ${btoa(`${auth.user}:${auth.pass}`)}`;
  const response = await fetch(url, { method, headers });
  const text = await response.text();
  requests.push({ method, url: url.slice(baseUrl.length), status: response.status });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") && text ? JSON.parse(text) : text;
  if (failOnStatusCode && !(response.status >= 200 && response.status < 400)) {
    throw new Error(`cy.request() failed on ${method} ${url}: ${response.status}: ${text}`);
  }
  return { status: response.status, body };
}

const commands = {};
globalThis.Cypress = {
  env: (name) => (name === "mailHogUrl" ? `${baseUrl}/` : undefined),
  // retryFetchMessages arms a timer this long: keep it short so that node exits promptly.
  config: (name) => (name === "defaultCommandTimeout" ? 50 : undefined),
  Commands: {
    add(name, options, fn) {
      commands[name] = typeof options === "function" ? options : fn;
    },
  },
};
globalThis.cy = {
  request: (options) => new Chain(cyRequest(options)),
  wrap: (value) => new Chain(Promise.resolve(value)),
  verifyUpcomingAssertions: (subject) => new Chain(Promise.resolve(subject)),
};

require(path.join(packageDir, "index.js"));
for (const [name, fn] of Object.entries(commands)) {
  globalThis.cy[name] = (...args) => new Chain(Promise.resolve().then(() => unwrap(fn(...args))));
}

(async () => {
  /** Run command `name` as Cypress would: its value, once every chain it queued has run. */
  const call = async (name, ...args) => {
    const first = queued.length;
    const value = await globalThis.cy[name](...args).promise;
    for (let done = first; done < queued.length; done++) await queued[done];
    return value;
  };
  const subjects = (mails) => mails.map((m) => m.Content.Headers.Subject[0]);
  const status = async (response) => (await response).status;
  let all;
  let invoice;

  const steps = [
    ["commands", async () => Object.keys(commands).sort()],
    ["jimAwayFirst", () => call("mhGetJimMode")],
    ["inviteJim", () => status(call("mhSetJimMode", true))],
    ["jimHere", () => call("mhGetJimMode")],
    ["inviteJimAgain", () => status(call("mhSetJimMode", true))],
    ["sendJimAway", () => status(call("mhSetJimMode", false))],
    ["jimAwayAfter", () => call("mhGetJimMode")],
    ["getAllMails", async () => subjects((all = await call("mhGetAllMails")))],
    ["getAllMailsLimit", async () => subjects(await call("mhGetAllMails", 1))],
    ["first", async () => (await call("mhFirst", all)).ID],
    ["bySubject", async () => {
      const found = await call("mhGetMailsBySubject", "Invoice 2002");
      invoice = found[0];
      return found.map((m) => m.ID);
    }],
    ["byRecipient", async () => subjects(await call("mhGetMailsByRecipient", "hidden@example.net"))],
    ["bySender", async () => subjects(await call("mhGetMailsBySender", "shop@example.com"))],
    ["searchMails", async () => subjects(await call("mhSearchMails", "containing", "1001"))],
    ["searchMailsTo", async () => subjects(await call("mhSearchMails", "to", "ann@example.com"))],
    ["filterBySubject", async () =>
      subjects(await call("mhFilterBySubject", all, "Überweisung erhalten"))],
    ["filterByRecipient", async () =>
      subjects(await call("mhFilterByRecipient", all, "bob@example.com"))],
    ["filterBySender", async () =>
      subjects(await call("mhFilterBySender", all, "billing@example.org"))],
    ["getSubject", () => call("mhGetSubject", invoice)],
    ["getBody", () => call("mhGetBody", invoice)],
    ["getSender", () => call("mhGetSender", invoice)],
    ["getRecipients", () => call("mhGetRecipients", invoice)],
    ["getAttachments", () => call("mhGetAttachments", invoice)],
    ["hasMailWithSubject", () => call("mhHasMailWithSubject", "Invoice 2002")],
    ["hasMailWithOtherSubject", () => call("mhHasMailWithSubject", "Never sent")],
    ["hasMailFrom", () => call("mhHasMailFrom", "billing@example.org")],
    ["hasMailFromOther", () => call("mhHasMailFrom", "nobody@example.com")],
    ["hasMailTo", () => call("mhHasMailTo", "ann@example.com")],
    ["waitForMails", () => call("mhWaitForMails", 1)],
    ["waitForMoreMails", () => call("mhWaitForMails", 2)],
    ["deleteAll", () => status(call("mhDeleteAll"))],
    ["afterDeleteAll", async () => (await call("mhGetAllMails")).length],
    ["requests", async () => requests],
  ];
  await run(steps);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
