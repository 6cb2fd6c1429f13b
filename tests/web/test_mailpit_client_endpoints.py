"""Mailpit's npm client (`mailpit-api`) against the endpoints of issue 15: renameTag,
deleteTag, getConfiguration, getAttachmentThumbnail, renderMessageHTML, renderMessageText."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
from clients import node_json
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for
from PIL import Image
from tools import mailpit_api

from mailtrap import MessageStore

Served = tuple[LiveServer, httpx.Client]

SCRIPT = r"""
const { MailpitClient } = require(process.argv[2]);
const mailpit = new MailpitClient(process.argv[3]);
const out = {};
(async () => {
  out.config = await mailpit.getConfiguration();
  out.html = await mailpit.renderMessageHTML();
  out.embedded = await mailpit.renderMessageHTML("latest", 1);
  out.text = await mailpit.renderMessageText();
  const message = await mailpit.getMessageSummary();
  const thumb = await mailpit.getAttachmentThumbnail(message.ID, message.Attachments[0].PartID);
  out.thumbType = thumb.type;
  out.thumb = Buffer.from(await thumb.arrayBuffer()).toString("base64");
  out.rename = await mailpit.renameTag("Old Tag", "New Tag");
  out.tagsAfterRename = await mailpit.getTags();
  out.delete = await mailpit.deleteTag("New Tag");
  out.tagsAfterDelete = await mailpit.getTags();
  try {
    await mailpit.deleteTag("New Tag");
    out.deleteAgain = "no error";
  } catch (error) {
    out.deleteAgain = error.message;
  }
  console.log(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def test_mailpit_api_reaches_the_issue_15_endpoints(
    served: Served, store: MessageStore, tmp_path: Path
) -> None:
    package = mailpit_api()
    server, _ = served
    png = io.BytesIO()
    Image.new("RGB", (360, 240), (0, 0, 255)).save(png, "PNG")
    raw = build_mail(
        subject="rendered",
        text="the text part",
        html='<p>the <a href="https://example.com/">HTML</a> part</p>',
        attachments=(("blue.png", "image/png", png.getvalue()),),
        headers={"X-Tags": "Old Tag, other"},
    )
    store.add(raw, envelope_for(raw))
    script = tmp_path / "client.cjs"
    script.write_text(SCRIPT)
    out = node_json(script, str(package), server.url)
    assert out["config"]["MessageRelay"]["Enabled"] is False
    assert out["config"]["SpamAssassin"] is False
    assert 'the <a href="https://example.com/">HTML</a> part' in out["html"]
    assert 'target="_blank"' in out["embedded"]
    assert 'target="_blank"' not in out["html"]
    assert out["text"].strip() == "the text part"
    assert out["thumbType"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(base64.b64decode(out["thumb"])))
    assert (thumb.format, thumb.size) == ("JPEG", (180, 120))
    assert out["rename"] == "ok"
    assert out["tagsAfterRename"] == ["New Tag", "other"]
    assert out["delete"] == "ok"
    assert out["tagsAfterDelete"] == ["other"]
    assert "404" in out["deleteAgain"]
