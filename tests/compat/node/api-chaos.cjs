// mailpit-api's chaos methods: getChaosTriggers, setChaosTriggers(triggers) and the reset,
// setChaosTriggers(). argv: mailpit-api's directory, mailtrap's URL, then what to do:
// "get", "reject-recipients" or "reset" (the test sends mail over SMTP between the calls).
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
const actions = {
  get: () => mailpit.getChaosTriggers(),
  "reject-recipients": () =>
    mailpit.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } }),
  reset: () => mailpit.setChaosTriggers(),
};

run([
  [process.argv[4], actions[process.argv[4]]],
  ["after", () => mailpit.getChaosTriggers()],
]);
