// mailpit-api's htmlCheck: GET /api/v1/message/{ID}/html-check, by ID and as `latest`, for a
// message without HTML (400) and for one that does not exist (404).
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
let styled;
let textOnly;

run([
  ["sendStyled", async () => {
    styled = (await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Styled",
      HTML: '<div><p style="display: flex">Hello</p>'
        + '<p>from the <video src="https://shop.example/clip.mp4"></video></p></div>',
    })).ID;
    return styled;
  }],
  ["htmlCheck", async () => mailpit.htmlCheck(styled)],
  ["htmlCheckOfLatest", async () => (await mailpit.htmlCheck()).Total],
  ["sendTextOnly", async () => {
    textOnly = (await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Text only",
      Text: "Nothing but text",
    })).ID;
    return textOnly;
  }],
  ["htmlCheckOfText", async () => mailpit.htmlCheck(textOnly)],
  ["htmlCheckOfMissing", async () => mailpit.htmlCheck("no-such-id")],
]);
