// mailpit-api's tag methods: getTags, setTags, renameTag, deleteTag.
// argv: mailpit-api's directory, mailtrap's URL.
"use strict";
const { run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
const ids = [];
const tagsBySubject = async () =>
  Object.fromEntries((await mailpit.listMessages()).messages.map((m) => [m.Subject, m.Tags]));

run([
  ["send", async () => {
    for (const subject of ["one", "two"]) {
      const sent = await mailpit.sendMessage({
        From: { Email: "app@example.com" },
        To: [{ Email: "ann@example.com" }],
        Subject: subject,
        Text: subject,
      });
      ids.push(sent.ID);
    }
    return ids.length;
  }],
  ["setTags", async () => mailpit.setTags({ IDs: ids, Tags: ["Old Name", "keep"] })],
  ["tagsAfterSet", async () => mailpit.getTags()],
  // encodeURIComponent("Old Name"): the tag travels as /api/v1/tags/Old%20Name.
  ["rename", async () => mailpit.renameTag("Old Name", "New Name")],
  ["tagsAfterRename", async () => mailpit.getTags()],
  ["messagesAfterRename", tagsBySubject],
  ["delete", async () => mailpit.deleteTag("keep")],
  ["tagsAfterDelete", async () => mailpit.getTags()],
  ["messagesAfterDelete", tagsBySubject],
  ["countAfterDelete", async () => (await mailpit.listMessages()).total],
  ["clearOne", async () => mailpit.setTags({ IDs: [ids[0]] })],
  ["messagesAfterClear", tagsBySubject],
]);
