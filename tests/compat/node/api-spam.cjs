// mailpit-api's spamAssassinCheck against mailtrap with --smtp-spamassassin: a GTUBE mail (spam),
// then a plain one (not), checked by ID and as `latest` (the method's default).
// argv: mailpit-api's directory, mailtrap's URL, the GTUBE string.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
const gtube = process.argv[4];
let spamId;

run([
  ["sendSpam", async () => {
    spamId = (await mailpit.sendMessage({
      From: { Email: "offers@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "A special offer",
      Text: `Buy now.\n${gtube}\n`,
    })).ID;
    return spamId;
  }],
  ["spam", async () => mailpit.spamAssassinCheck(spamId)],
  ["sendPlain", async () => (await mailpit.sendMessage({
    From: { Email: "ann@example.com", Name: "Ann" },
    To: [{ Email: "bob@example.com", Name: "Bob" }],
    Subject: "Minutes of Tuesday's meeting",
    Text: "Hi Bob,\n\nthe minutes are below; we meet again next week.\n\nAnn\n",
  })).ID],
  ["latest", async () => mailpit.spamAssassinCheck()],
]);
