// mailpit-api's releaseMessage against mailtrap with a relay (a second mailtrap requiring
// STARTTLS and AUTH): a release by ID, one as `latest`, one to an address outside the
// allowed recipients, and the web UI configuration that says a relay is there.
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
let id;

run([
  ["send", async () => {
    id = (await mailpit.sendMessage({
      From: { Email: "app@example.com", Name: "App" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Released by mailpit-api",
      Text: "Hello from the catcher.\n",
    })).ID;
    return id;
  }],
  ["release", async () => mailpit.releaseMessage(id, { To: ["carol@example.net"] })],
  ["releaseLatest", async () => mailpit.releaseMessage("latest", { To: ["dan@example.net"] })],
  ["notAllowed", async () => mailpit.releaseMessage(id, { To: ["eve@example.org"] })],
  ["webui", async () => (await mailpit.getConfiguration()).MessageRelay],
]);
