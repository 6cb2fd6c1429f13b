// mailpit-api's getInfo and getConfiguration (GET /api/v1/info, /api/v1/webui).
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);

run([
  ["send", async () => (await mailpit.sendMessage({
    From: { Email: "app@example.com" },
    To: [{ Email: "ann@example.com" }],
    Subject: "Counted",
    Text: "Counted",
    Tags: ["billing"],
  })).ID],
  ["info", async () => mailpit.getInfo()],
  ["configuration", async () => mailpit.getConfiguration()],
]);
