// mailpit-api's linkCheck: GET /api/v1/message/{ID}/link-check, with and without `follow`, and
// with its default ID, `latest`.
// argv: mailpit-api's directory, mailtrap's URL, the base URL of a local site to link to.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
const site = process.argv[4];
let id;

run([
  ["send", async () => {
    id = (await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Links",
      Text: `Track it: ${site}/chain/2`,
      HTML: `<p><a href="${site}/ok">ok</a> <a href="${site}/missing">gone</a></p>`,
    })).ID;
    return id;
  }],
  ["check", async () => mailpit.linkCheck(id)],
  ["followed", async () => mailpit.linkCheck(id, true)],
  ["latest", async () => mailpit.linkCheck()],
]);
