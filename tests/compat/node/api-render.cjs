// mailpit-api's renderMessageHTML and renderMessageText: GET /view/{ID}.html and .txt.
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
let html;
let textOnly;

run([
  ["sendHtml", async () => {
    html = (await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Rendered",
      Text: "Plain twin of the page",
      HTML: '<html><body><h1>Sale</h1><a href="https://shop.example/sale">Shop now</a></body></html>',
    })).ID;
    return html;
  }],
  ["sendTextOnly", async () => {
    textOnly = (await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Text only",
      Text: "Nothing but text",
    })).ID;
    return textOnly;
  }],
  ["html", async () => mailpit.renderMessageHTML(html)],
  ["htmlEmbedded", async () => mailpit.renderMessageHTML(html, 1)],
  ["htmlOfLatest", async () => mailpit.renderMessageHTML()],
  ["text", async () => mailpit.renderMessageText(html)],
  ["textOfLatest", async () => mailpit.renderMessageText()],
  ["htmlOfMissing", async () => mailpit.renderMessageHTML("no-such-id")],
  ["textOfMissing", async () => mailpit.renderMessageText("no-such-id")],
]);
