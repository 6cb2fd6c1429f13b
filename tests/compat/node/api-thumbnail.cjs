// mailpit-api's getAttachmentThumbnail (GET /api/v1/message/{ID}/part/{PartID}/thumb), for an
// image and for a file that is not one (Mailpit answers a blank image).
// argv: mailpit-api's directory, mailtrap's URL, the path of a PNG file.
"use strict";
const fs = require("node:fs");
const { blobInfo, run } = require("./harness.cjs");
const { MailpitClient } = require(process.argv[2]);

const mailpit = new MailpitClient(process.argv[3]);
const png = fs.readFileSync(process.argv[4]).toString("base64");
let message;

run([
  ["send", async () => {
    const { ID } = await mailpit.sendMessage({
      From: { Email: "app@example.com" },
      To: [{ Email: "ann@example.com" }],
      Subject: "Pictures",
      Text: "See attached",
      Attachments: [
        { Content: png, Filename: "photo.png", ContentType: "image/png" },
        { Content: Buffer.from("just text").toString("base64"), Filename: "notes.txt" },
      ],
    });
    message = await mailpit.getMessageSummary(ID);
    return message.Attachments.map((a) => [a.FileName, a.ContentType]);
  }],
  ["imageThumb", async () =>
    blobInfo(await mailpit.getAttachmentThumbnail(message.ID, message.Attachments[0].PartID))],
  ["textThumb", async () =>
    blobInfo(await mailpit.getAttachmentThumbnail(message.ID, message.Attachments[1].PartID))],
  ["original", async () =>
    blobInfo(await mailpit.getMessageAttachment(message.ID, message.Attachments[0].PartID))],
]);
