// npm `mailhog` 4.16.0 (MailHog's Node client), every method, against mailtrap. The mail is sent
// before this runs (tests/compat/test_mailhog_clients.py); each step returns what the client
// decoded, so the test compares it with what mailtrap's own API says.
// argv: the package's directory, mailtrap's URL, the id of a message to release and delete.
"use strict";
const { run } = require("./harness.cjs");

const [packageDir, baseUrl] = process.argv.slice(2);
const url = new URL(baseUrl);
const mailhog = require(packageDir)({ host: url.hostname, port: Number(url.port) });

/** What a test reads from one message: every decoded getter the client defines. */
function read(mail) {
  if (!mail) return mail;
  return {
    ID: mail.ID,
    subject: mail.subject,
    from: mail.from,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    replyTo: mail.replyTo,
    text: mail.text,
    html: mail.html,
    date: mail.date ? mail.date.toISOString() : null,
    deliveryDate: Number.isNaN(mail.deliveryDate.getTime()) ? null : mail.deliveryDate.toISOString(),
    attachments: mail.attachments.map((a) => ({
      name: a.name,
      type: a.type,
      encoding: a.encoding,
      // The client's own decoding, to bytes (iconv-lite's "binary" is latin1: one per byte).
      base64: Buffer.from(mailhog.decode(a.Body, a.encoding, "binary"), "latin1").toString(
        "base64",
      ),
    })),
    envelopeFrom: mail.Raw.From,
    envelopeTo: mail.Raw.To,
    recipients: mail.To.map((p) => `${p.Mailbox}@${p.Domain}`),
    partCount: mail.MIME ? mail.MIME.Parts.length : 0,
  };
}

const page = (result) => ({
  total: result.total,
  count: result.count,
  start: result.start,
  subjects: (result.items || []).map((m) => m.subject),
});
const status = (response) => ({ statusCode: response.statusCode, body: null });

(async () => {
  let released;
  const steps = [
    ["messages", async () => page(await mailhog.messages())],
    ["messagesPaged", async () => page(await mailhog.messages(1, 1))],
    ["messagesRead", async () => (await mailhog.messages()).items.map(read)],
    ["searchContaining", async () => page(await mailhog.search("1001"))],
    ["searchFrom", async () => page(await mailhog.search("billing@example.org", "from"))],
    ["searchToPaged", async () => page(await mailhog.search("example.com", "to", 1, 1))],
    ["latestFrom", async () => read(await mailhog.latestFrom("shop@example.com"))],
    ["latestTo", async () => read(await mailhog.latestTo("bob@example.com"))],
    ["latestToBcc", async () => read(await mailhog.latestTo("hidden@example.net"))],
    ["latestContaining", async () => read(await mailhog.latestContaining("Invoice 2002"))],
    ["latestFromNobody", async () => mailhog.latestFrom("nobody@example.com")],
    ["releaseMessage", async () => {
      released = (await mailhog.messages()).items[0].ID;
      const answer = await mailhog.releaseMessage(released, {
        host: "127.0.0.1",
        port: "2525",
        email: "someone@example.com",
      });
      return answer.statusCode === undefined ? answer : status(answer);
    }],
    ["deleteMessage", async () => status(await mailhog.deleteMessage(released))],
    ["afterDeleteMessage", async () => {
      const all = await mailhog.messages();
      return { total: all.total, ids: all.items.map((m) => m.ID), deleted: released };
    }],
    ["deleteAll", async () => status(await mailhog.deleteAll())],
    ["afterDeleteAll", async () => page(await mailhog.messages())],
  ];
  await run(steps);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
