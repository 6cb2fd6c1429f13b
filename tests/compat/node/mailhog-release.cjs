// npm `mailhog` 4.16.0's releaseMessage against mailtrap with a relay: to the relay (named as
// MailHog users name their SMTP server), to another server, and with a login in the request.
// argv: the package's directory, mailtrap's URL, a message id, the relay's host and port.
"use strict";
const { run } = require("./harness.cjs");

const [packageDir, baseUrl, id, host, port] = process.argv.slice(2);
const url = new URL(baseUrl);
const mailhog = require(packageDir)({ host: url.hostname, port: Number(url.port) });

/** The client resolves with {statusCode, body} for an empty answer, else the parsed body. */
async function release(config) {
  const answer = await mailhog.releaseMessage(id, config);
  return answer.statusCode === undefined ? answer : { statusCode: answer.statusCode };
}

run([
  ["toTheRelay", async () => release({ host, port, email: "carol@example.net" })],
  ["toAnotherServer", async () => release({ host: "smtp.example.org", port, email: "x@example.net" })],
  ["withALogin", async () =>
    release({ host, port, email: "x@example.net", username: "u", password: "guess" })],
]);
