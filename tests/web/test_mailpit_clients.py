"""Drop-in proof: Mailpit's own client library (`mailpit-api` from npm) runs against mailtrap.

A Node script calls the client's methods against a live server and prints what it got; the
test checks the results. If mailtrap's shapes drifted from Mailpit's, the client would throw
or return the wrong thing here.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from clients import node_json
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for
from tools import mailpit_api

from mailtrap import MessageStore

Live = tuple[LiveServer, httpx.Client]

SCRIPT = r"""
const { MailpitClient } = require(process.argv[2]);
const mailpit = new MailpitClient(process.argv[3]);
const out = {};
(async () => {
  const sent = await mailpit.sendMessage({
    From: { Email: "app@example.com", Name: "App" },
    To: [{ Email: "user@example.com", Name: "User" }],
    Subject: "Sent through mailpit-api",
    Text: "Your code is 424242",
    Attachments: [{ Content: Buffer.from("hello").toString("base64"), Filename: "hi.txt" }],
    Tags: ["api"],
  });
  out.sentId = sent.ID;
  const list = await mailpit.listMessages();
  out.listTotal = list.total;
  out.listSubjects = list.messages.map((m) => m.Subject);
  const message = await mailpit.getMessageSummary(sent.ID);
  out.text = message.Text;
  out.attachment = message.Attachments[0].FileName;
  const blob = await mailpit.getMessageAttachment(sent.ID, message.Attachments[0].PartID);
  out.attachmentText = Buffer.from(await blob.arrayBuffer()).toString();
  out.headers = Object.keys(await mailpit.getMessageHeaders(sent.ID));
  out.source = (await mailpit.getMessageSource(sent.ID)).includes("Sent through mailpit-api");
  const found = await mailpit.searchMessages({ query: "subject:mailpit-api", tz: "UTC" });
  out.searchCount = found.messages_count;
  const waited = await mailpit.waitForMessages({ query: "424242" }, { timeout: 2000 });
  out.waited = waited.messages.length;
  out.setRead = await mailpit.setReadStatus({ IDs: [sent.ID], Read: true });
  out.unread = (await mailpit.listMessages()).unread;
  out.setTags = await mailpit.setTags({ IDs: [sent.ID], Tags: ["one", "two"] });
  out.tags = await mailpit.getTags();
  out.info = (await mailpit.getInfo()).Messages;
  out.deleteSearch = await mailpit.deleteMessagesBySearch({ query: "subject:preloaded" });
  out.afterDeleteSearch = (await mailpit.listMessages()).total;
  out.deleteAll = await mailpit.deleteMessages();
  out.afterDeleteAll = (await mailpit.listMessages()).total;
  try {
    await mailpit.getMessageSummary("no-such-id");
    out.missing = "no error";
  } catch (error) {
    out.missing = error.message;
  }
  console.log(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def test_the_mailpit_api_npm_client_works_unchanged(
    served: Live, store: MessageStore, tmp_path: Path
) -> None:
    package = mailpit_api()
    server, _ = served
    raw = build_mail(subject="preloaded")
    store.add(raw, envelope_for(raw))
    script = tmp_path / "client.cjs"
    script.write_text(SCRIPT)
    out = node_json(script, str(package), server.url)
    assert out["listTotal"] == 2
    assert out["listSubjects"] == ["Sent through mailpit-api", "preloaded"]
    assert out["text"].strip() == "Your code is 424242"
    assert (out["attachment"], out["attachmentText"]) == ("hi.txt", "hello")
    assert "Subject" in out["headers"]
    assert out["source"] is True
    assert out["searchCount"] == 1
    assert out["waited"] == 1
    assert out["setRead"] == "ok"
    assert out["unread"] == 1
    assert out["setTags"] == "ok"
    assert out["tags"] == ["one", "two"]
    assert out["info"] == 2
    assert out["deleteSearch"] == "ok"
    assert out["afterDeleteSearch"] == 1
    assert out["deleteAll"] == "ok"
    assert out["afterDeleteAll"] == 0
    assert "404" in out["missing"]
