"""The .eml corpus (tests/data, described in its README): real-world shapes from many mailers
plus deliberately broken mail. Every file is stored byte for byte, parses without an exception,
renders through the API, and the well-formed ones parse to what expected.json says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from inprocess import InProcess

from mailtrap import Envelope, Message, MessageStore
from mailtrap.message.parsing import parse_message, summarize

DATA = Path(__file__).parent / "data"
CORPUS = sorted(DATA.glob("*.eml"))
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
ENVELOPE = Envelope("sender@example.com", ("rcpt@example.com",))


def test_corpus_is_broad_enough() -> None:
    assert len(CORPUS) >= 30
    mailers = {e["mailer"] for e in EXPECTED.values() if "mailer" in e}
    assert len(mailers) >= 5
    assert {p.name for p in CORPUS} == set(EXPECTED)
    sizes = {p.name: p.stat().st_size for p in CORPUS}
    assert sizes["broken-2mb-single-line-html.eml"] >= 2_000_000
    assert sizes["broken-empty-file.eml"] == 0
    assert b"\x00" in (DATA / "broken-nul-bytes.eml").read_bytes()


def full_parse(raw: bytes) -> Message:
    summary = summarize(raw, ENVELOPE).to_summary(id="x", created=datetime.now(UTC), size=len(raw))
    return parse_message(raw, summary, ENVELOPE)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_parses_to_what_expected_json_says(path: Path) -> None:
    raw = path.read_bytes()
    message = full_parse(raw)
    assert message.raw == raw
    want = EXPECTED[path.name]
    if "subject" in want:
        assert message.subject == want["subject"]
    if "from" in want:
        assert message.sender is not None
        assert message.sender.address == want["from"]
    if "to" in want:
        assert [a.address for a in message.to] == want["to"]
    if "attachments" in want:
        assert len(message.attachments) == message.attachment_count == want["attachments"]
        assert all(len(a.data) == a.size for a in message.attachments)
    if "inline" in want:
        assert len(message.inline) == want["inline"]
    if "text_contains" in want:
        assert want["text_contains"] in message.text
    if "html_contains" in want:
        assert want["html_contains"] in message.html


def test_every_file_round_trips_through_the_store_and_api(
    store: MessageStore, live: tuple[InProcess, httpx.Client]
) -> None:
    _, client = live
    ids = {}
    for path in CORPUS:
        ids[path.name] = store.add(path.read_bytes(), ENVELOPE).id
    for path in CORPUS:
        id = ids[path.name]
        assert store.get_raw(id) == path.read_bytes(), path.name
        response = client.get(f"/api/v1/message/{id}")
        assert response.status_code == 200, (path.name, response.text[:300])
        assert response.json()["ID"] == id
    listed = client.get("/api/v1/messages", params={"limit": 100}).json()
    assert listed["total"] == len(CORPUS)
