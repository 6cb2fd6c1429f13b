// mailpit-api's message methods, in the forms tests/web/test_mailpit_clients.py does not use:
// the `latest` defaults, waitForMessage, paging, search with `tz`, read status by search.
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
let order;
let welcome;

run([
  ["sendOrder", async () => {
    const sent = await mailpit.sendMessage({
      From: { Email: "shop@example.com", Name: "Shop" },
      To: [{ Email: "ann@example.com", Name: "Ann" }],
      Cc: [{ Email: "cc@example.com" }],
      Bcc: ["audit@example.com"],
      ReplyTo: [{ Email: "help@example.com", Name: "Help" }],
      Subject: "Order 1001 shipped",
      Text: "Track it: https://shop.example/track/1001",
      HTML: '<p>Track <a href="https://shop.example/track/1001">it</a></p>',
      Headers: { "X-Campaign": "spring" },
      Tags: ["orders"],
    });
    order = sent.ID;
    return sent;
  }],
  ["sendWelcome", async () => {
    const sent = await mailpit.sendMessage({
      From: { Email: "shop@example.com" },
      To: [{ Email: "bob@example.com" }],
      Subject: "Welcome aboard",
      Text: "Your code is 735102",
    });
    welcome = sent.ID;
    return sent;
  }],
  ["listSecondPage", async () => {
    const page = await mailpit.listMessages(1, 1);
    return { total: page.total, start: page.start, subjects: page.messages.map((m) => m.Subject) };
  }],
  ["latest", async () => {
    const m = await mailpit.getMessageSummary();
    return { ID: m.ID, Subject: m.Subject, From: m.From, To: m.To };
  }],
  ["orderSummary", async () => {
    const m = await mailpit.getMessageSummary(order);
    return { Cc: m.Cc, Bcc: m.Bcc, ReplyTo: m.ReplyTo, Tags: m.Tags, Text: m.Text };
  }],
  // Mailpit marks a message read when GET /api/v1/message/{ID} returns it: both were fetched.
  ["unreadAfterGets", async () => (await mailpit.listMessages()).unread],
  ["latestHeaders", async () => (await mailpit.getMessageHeaders())["Subject"]],
  ["orderHeaders", async () => (await mailpit.getMessageHeaders(order))["X-Campaign"]],
  ["latestSource", async () => (await mailpit.getMessageSource()).includes("Welcome aboard")],
  ["waitForMessage", async () => {
    const m = await mailpit.waitForMessage(
      { query: 'subject:"Order 1001"' },
      { timeout: 3000, interval: 100 },
    );
    return { ID: m.ID, Subject: m.Subject, linked: m.HTML.includes("shop.example/track/1001") };
  }],
  ["waitForTwoExactly", async () => {
    const found = await mailpit.waitForMessages(
      { count: 2, exact: true },
      { timeout: 3000, interval: 100 },
    );
    return found.messages_count;
  }],
  ["waitForNothing", async () =>
    mailpit.waitForMessage({ query: "subject:never-sent" }, { timeout: 300, interval: 100 })],
  ["searchWithTz", async () => {
    const found = await mailpit.searchMessages({
      query: "after:2000-01-01 tag:orders",
      tz: "Europe/Berlin",
    });
    return found.messages.map((m) => m.Subject);
  }],
  ["markAllUnread", async () => mailpit.setReadStatus()],
  ["unreadAfterReset", async () => (await mailpit.listMessages()).unread],
  ["markReadBySearch", async () =>
    mailpit.setReadStatus({ Search: "to:ann@example.com", Read: true }, { tz: "UTC" })],
  ["readFlags", async () =>
    Object.fromEntries((await mailpit.listMessages()).messages.map((m) => [m.Subject, m.Read]))],
  ["deleteWelcome", async () => mailpit.deleteMessages({ IDs: [welcome] })],
  ["remaining", async () => (await mailpit.listMessages()).messages.map((m) => m.Subject)],
]);
