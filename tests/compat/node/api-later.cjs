// mailpit-api's methods for endpoints mailtrap does not serve yet (release): each must
// fail with a 404 whose detail says so.
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
let id;

run([
  ["send", async () => {
    id = (await mailpit.sendMessage({
      From: { Email: "app@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Checked",
      HTML: '<p><a href="https://example.com/">a link</a></p>',
    })).ID;
    return id;
  }],
  ["releaseMessage", async () => mailpit.releaseMessage(id, ["someone@example.com"])],
]);
