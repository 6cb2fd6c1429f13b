"""Mailpit's npm client `mailpit-api` 2.1.0, every method that targets an endpoint mailtrap serves,
against `mailtrap serve` (each store). tests/web/test_mailpit_clients.py covers the basic
forms; this covers the rest: `latest`, paging, waiting, search with `tz`, read status by
search, rendering, tags, server info and web UI configuration, thumbnails, chaos, the checks,
and releasing through a relay.

Each class runs one Node script (tests/compat/node/api-*.cjs) once and checks its steps; the
classes share one server per store, emptied before each script.
"""

from __future__ import annotations

import base64
import re
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import Served, Steps, error_detail, run_node, serve
from images import jpeg_size, png
from linkserver import LinkSite
from serving import start
from spamd import GTUBE, running_spamd
from tools import mailpit_api

from mailtrap import Client


@pytest.fixture(scope="module", params=["sqlite", "memory"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One `mailtrap serve` per store for the module (a start costs about a second of CPU);
    each class empties it before its script runs (`_run`)."""
    store_dir = tmp_path_factory.mktemp("store") if request.param == "sqlite" else None
    server = serve(store_dir)
    yield server
    server.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = serve(tmp_path)
    yield server
    server.stop()


def _run(server: Served, script: str, *args: str) -> Steps:
    """Run a Node script against `server`, emptied first: every script starts from no mail
    (deleting the mail takes its tags and read states with it)."""
    Client(server.url).delete_all()
    return run_node(script, str(mailpit_api()), server.url, *args, log=server.log)


class TestMessages:
    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served) -> Steps:
        return _run(shared, "api-messages.cjs")

    def test_send_answers_the_new_id(self, steps: Steps) -> None:
        sent = steps.ok("sendOrder")
        assert set(sent) == {"ID"}
        assert isinstance(sent["ID"], str)
        assert sent["ID"]

    def test_list_pages_newest_first(self, steps: Steps) -> None:
        page = steps.ok("listSecondPage")
        assert page == {"total": 2, "start": 1, "subjects": ["Order 1001 shipped"]}

    def test_latest_is_the_default_id(self, steps: Steps) -> None:
        latest = steps.ok("latest")
        assert latest["ID"] == steps.ok("sendWelcome")["ID"]
        assert latest["Subject"] == "Welcome aboard"
        assert latest["From"] == {"Name": "", "Address": "shop@example.com"}
        assert latest["To"] == [{"Name": "", "Address": "bob@example.com"}]

    def test_summary_carries_every_address_and_tag(self, steps: Steps) -> None:
        order = steps.ok("orderSummary")
        assert order["Cc"] == [{"Name": "", "Address": "cc@example.com"}]
        assert order["Bcc"] == [{"Name": "", "Address": "audit@example.com"}]
        assert order["ReplyTo"] == [{"Name": "Help", "Address": "help@example.com"}]
        assert order["Tags"] == ["orders"]
        assert order["Text"].strip() == "Track it: https://shop.example/track/1001"

    def test_getting_a_message_marks_it_read(self, steps: Steps) -> None:
        assert steps.ok("unreadAfterGets") == 0

    def test_headers_and_source_default_to_latest(self, steps: Steps) -> None:
        assert steps.ok("latestHeaders") == ["Welcome aboard"]
        assert steps.ok("orderHeaders") == ["spring"]
        assert steps.ok("latestSource") is True

    def test_wait_for_message_returns_the_full_message(self, steps: Steps) -> None:
        found = steps.ok("waitForMessage")
        assert found == {
            "ID": steps.ok("sendOrder")["ID"],
            "Subject": "Order 1001 shipped",
            "linked": True,
        }
        assert steps.ok("waitForTwoExactly") == 2
        assert 'Timeout waiting for messages matching query "subject:never-sent"' in (
            steps.error("waitForNothing")
        )

    def test_search_takes_a_time_zone(self, steps: Steps) -> None:
        assert steps.ok("searchWithTz") == ["Order 1001 shipped"]

    def test_read_status_for_all_and_by_search(self, steps: Steps) -> None:
        assert steps.ok("markAllUnread") == "ok"
        assert steps.ok("unreadAfterReset") == 2
        assert steps.ok("markReadBySearch") == "ok"
        assert steps.ok("readFlags") == {"Order 1001 shipped": True, "Welcome aboard": False}

    def test_delete_by_id(self, steps: Steps) -> None:
        assert steps.ok("deleteWelcome") == "ok"
        assert steps.ok("remaining") == ["Order 1001 shipped"]


class TestRender:
    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served) -> Steps:
        return _run(shared, "api-render.cjs")

    def test_html_is_the_message_html(self, steps: Steps) -> None:
        html = steps.ok("html")
        assert "<h1>Sale</h1>" in html
        assert 'href="https://shop.example/sale"' in html
        assert "target=" not in html  # only embed=1 opens links elsewhere

    def test_embedded_html_opens_links_in_a_new_window(self, steps: Steps) -> None:
        html = steps.ok("htmlEmbedded")
        assert "<h1>Sale</h1>" in html
        assert 'target="_blank"' in html
        assert 'rel="noreferrer noopener"' in html

    def test_latest_html_without_an_html_part_is_404(self, steps: Steps) -> None:
        # The newest message is the text-only one: Mailpit answers 404, it has no HTML part.
        status, _ = error_detail(steps.error("htmlOfLatest"))
        assert status == 404

    def test_text_is_the_text_part(self, steps: Steps) -> None:
        assert steps.ok("text").strip() == "Plain twin of the page"
        assert steps.ok("textOfLatest").strip() == "Nothing but text"

    def test_a_missing_message_is_404(self, steps: Steps) -> None:
        assert error_detail(steps.error("htmlOfMissing"))[0] == 404
        assert error_detail(steps.error("textOfMissing"))[0] == 404


class TestTags:
    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served) -> Steps:
        return _run(shared, "api-tags.cjs")

    def test_set_and_list(self, steps: Steps) -> None:
        assert steps.ok("setTags") == "ok"
        assert steps.ok("tagsAfterSet") == ["keep", "Old Name"]

    def test_rename_a_tag_with_a_space(self, steps: Steps) -> None:
        assert steps.ok("rename") == "ok"
        assert steps.ok("tagsAfterRename") == ["keep", "New Name"]
        assert steps.ok("messagesAfterRename") == {
            "one": ["keep", "New Name"],
            "two": ["keep", "New Name"],
        }

    def test_delete_a_tag_keeps_the_messages(self, steps: Steps) -> None:
        assert steps.ok("delete") == "ok"
        assert steps.ok("tagsAfterDelete") == ["New Name"]
        assert steps.ok("messagesAfterDelete") == {"one": ["New Name"], "two": ["New Name"]}
        assert steps.ok("countAfterDelete") == 2

    def test_set_tags_without_tags_clears_them(self, steps: Steps) -> None:
        assert steps.ok("clearOne") == "ok"
        after = steps.ok("messagesAfterClear")
        assert after["one"] == []
        assert after["two"] != []


class TestServer:
    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served) -> Steps:
        return _run(shared, "api-server.cjs")

    def test_info(self, steps: Steps) -> None:
        info = steps.ok("info")
        assert info["Messages"] == 1
        assert info["Unread"] == 1
        assert info["Tags"] == {"billing": 1}
        assert isinstance(info["Version"], str)
        assert info["Version"]
        assert isinstance(info["RuntimeStats"]["Uptime"], int)

    def test_configuration_is_mailpits_web_ui_shape(self, steps: Steps) -> None:
        config = steps.ok("configuration")
        assert {
            "Label",
            "MessageRelay",
            "SpamAssassin",
            "ChaosEnabled",
            "DuplicatesIgnored",
            "HideDeleteAllButton",
        } <= set(config)
        assert config["ChaosEnabled"] is True  # an SMTP server runs beside the API
        assert config["SpamAssassin"] is False
        assert config["MessageRelay"]["Enabled"] is False


class TestThumbnail:
    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served, tmp_path_factory: pytest.TempPathFactory) -> Steps:
        image = tmp_path_factory.mktemp("image") / "photo.png"
        image.write_bytes(png(300, 200))
        return _run(shared, "api-thumbnail.cjs", str(image))

    def test_image_thumbnail_is_a_180_by_120_jpeg(self, steps: Steps) -> None:
        assert steps.ok("send") == [["photo.png", "image/png"], ["notes.txt", "text/plain"]]
        thumb = steps.ok("imageThumb")
        assert thumb["type"] == "image/jpeg"
        assert jpeg_size(base64.b64decode(thumb["base64"])) == (180, 120)

    def test_thumbnail_of_a_non_image_is_a_blank_jpeg(self, steps: Steps) -> None:
        thumb = steps.ok("textThumb")
        assert thumb["type"] == "image/jpeg"
        assert jpeg_size(base64.b64decode(thumb["base64"])) == (180, 120)

    def test_the_attachment_itself_is_unchanged(self, steps: Steps) -> None:
        original = steps.ok("original")
        assert base64.b64decode(original["base64"]) == png(300, 200)


OFF = {
    "Sender": {"ErrorCode": 451, "Probability": 0},
    "Recipient": {"ErrorCode": 451, "Probability": 0},
    "Authentication": {"ErrorCode": 535, "Probability": 0},
}


def _triggers(answer: dict[str, Any]) -> dict[str, Any]:
    """Mailpit's three triggers from a chaos answer (mailtrap may add its own keys)."""
    return {name: answer.get(name) for name in OFF}


def test_chaos_get_set_and_reset(served: Served) -> None:
    package = str(mailpit_api())

    def chaos(action: str) -> Steps:
        return run_node("api-chaos.cjs", package, served.url, action, log=served.log)

    mail = b"Subject: chaos\r\nFrom: app@example.com\r\n\r\nhi\r\n"
    assert _triggers(chaos("get").ok("get")) == OFF

    refusing = chaos("reject-recipients")
    expected = {**OFF, "Recipient": {"ErrorCode": 550, "Probability": 100}}
    assert _triggers(refusing.ok("reject-recipients")) == expected
    assert _triggers(refusing.ok("after")) == expected
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        served.send(mail, "app@example.com", ["ann@example.com"])
    assert refused.value.recipients["ann@example.com"][0] == 550

    reset = chaos("reset")
    assert _triggers(reset.ok("reset")) == OFF
    assert _triggers(reset.ok("after")) == OFF
    served.send(mail, "app@example.com", ["ann@example.com"])


class TestHTMLCheck:
    """htmlCheck gets Mailpit's HTMLCheckResponse; the mail is the hand-worked one of
    tests/test_htmlcheck.py, so the figures are checked there and only carried here."""

    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, shared: Served) -> Steps:
        return _run(shared, "api-htmlcheck.cjs")

    def test_the_check_has_mailpits_shape_and_the_known_score(self, steps: Steps) -> None:
        check = steps.ok("htmlCheck")
        assert set(check) == {"Warnings", "Platforms", "Total"}
        total = check["Total"]
        assert set(total) == {"Tests", "Nodes", "Supported", "Partial", "Unsupported"}
        assert total["Nodes"] == 4
        assert round(total["Unsupported"], 2) == 17.98
        assert round(total["Partial"], 2) == 10.87
        assert round(total["Supported"], 2) == 71.15
        first = check["Warnings"][0]
        assert set(first) == {
            "Slug", "Title", "Description", "URL", "Category", "Tags", "Keywords",
            "Results", "NotesByNumber", "Score",
        }  # fmt: skip
        assert (first["Slug"], first["Category"], first["Score"]["Found"]) == (
            "html-video",
            "html",
            1,
        )
        assert set(first["Results"][0]) == {
            "Name", "Platform", "Family", "Version", "Support", "NoteNumber",
        }  # fmt: skip
        assert "Apple Mail" in check["Platforms"]["ios"]

    def test_latest_is_the_default_id(self, steps: Steps) -> None:
        assert steps.ok("htmlCheckOfLatest") == steps.ok("htmlCheck")["Total"]

    def test_a_message_without_html_is_400_with_a_reason(self, steps: Steps) -> None:
        status, body = error_detail(steps.error("htmlCheckOfText"))
        assert status == 400
        assert "does not contain HTML" in body["detail"]

    def test_a_missing_message_is_404(self, steps: Steps) -> None:
        assert error_detail(steps.error("htmlCheckOfMissing"))[0] == 404


class TestSpamAssassin:
    """spamAssassinCheck against `mailtrap serve --smtp-spamassassin` and Debian's spamd."""

    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steps]:
        package = str(mailpit_api())
        with running_spamd() as spamd:
            server = serve(tmp_path_factory.mktemp("store"), "--smtp-spamassassin", spamd.flag)
            try:
                yield run_node("api-spam.cjs", package, server.url, GTUBE, log=server.log)
            finally:
                server.stop()

    def test_gtube_is_spam(self, steps: Steps) -> None:
        spam = steps.ok("spam")
        assert set(spam) == {"IsSpam", "Score", "Rules", "Error"}
        assert (spam["IsSpam"], spam["Error"]) == (True, "")
        assert spam["Score"] >= 1000
        assert "GTUBE" in {rule["Name"] for rule in spam["Rules"]}

    def test_a_plain_mail_is_not_spam(self, steps: Steps) -> None:
        steps.ok("sendPlain")
        plain = steps.ok("latest")  # the method's default ID
        assert (plain["IsSpam"], plain["Error"]) == (False, ""), plain
        assert plain["Score"] < 5
        assert "GTUBE" not in {rule["Name"] for rule in plain["Rules"]}


class TestLinkCheck:
    """`linkCheck` against a server started with --allow-internal-http-requests, the links on
    a local site; and against one without it, which refuses them as Mailpit does."""

    @pytest.fixture(scope="class")
    @classmethod
    def site(cls) -> Iterator[LinkSite]:
        with LinkSite() as served:
            yield served

    @pytest.fixture(scope="class")
    @classmethod
    def steps(cls, site: LinkSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steps]:
        server = serve(tmp_path_factory.mktemp("links"), "--allow-internal-http-requests")
        try:
            yield _run(server, "api-links.cjs", site.url(""))
        finally:
            server.stop()

    def test_each_link_with_its_status(self, steps: Steps, site: LinkSite) -> None:
        assert steps.ok("check") == {
            "Errors": 1,
            "Links": [
                {"URL": site.url("/ok"), "StatusCode": 200, "Status": "OK"},
                {"URL": site.url("/missing"), "StatusCode": 404, "Status": "Not Found"},
                {"URL": site.url("/chain/2"), "StatusCode": 302, "Status": "Found"},
            ],
        }

    def test_follow_ends_where_the_redirects_do(self, steps: Steps, site: LinkSite) -> None:
        followed = steps.ok("followed")
        assert followed["Links"][2] == {
            "URL": site.url("/chain/2"),
            "StatusCode": 200,
            "Status": "OK",
        }
        assert followed["Errors"] == 1

    def test_the_default_id_is_latest(self, steps: Steps) -> None:
        assert steps.ok("latest") == steps.ok("check")

    def test_without_the_flag_every_internal_link_is_blocked(self, shared: Served) -> None:
        with LinkSite() as site:
            steps = _run(shared, "api-links.cjs", site.url(""))
            answer = steps.ok("check")
            assert answer["Errors"] == 3
            assert {link["StatusCode"] for link in answer["Links"]} == {451}
            assert all("private/reserved" in link["Status"] for link in answer["Links"])
            assert site.requests == []


class TestRelease:
    """releaseMessage against `mailtrap serve` whose relay is a second `mailtrap serve` that
    requires STARTTLS (its generated CA trusted by --smtp-relay-ca-file) and AUTH."""

    @pytest.fixture(scope="class")
    @classmethod
    def relayed(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Steps, Served]]:
        home = tmp_path_factory.mktemp("relay-home")
        target = Served(
            start(
                "--memory",
                "--smtp-require-starttls",
                "--smtp-auth",
                "relay:s3cret",
                env={"XDG_DATA_HOME": str(home), "HOME": str(home)},
            )
        )
        ca = re.search(r"TLS CA (\S+)", target.log[0])
        assert ca, target.log[0]
        source = serve(
            tmp_path_factory.mktemp("store"),
            "--smtp-relay-host",
            "localhost",
            "--smtp-relay-port",
            str(target.smtp[1]),
            "--smtp-relay-starttls",
            "--smtp-relay-ca-file",
            ca.group(1),
            "--smtp-relay-auth",
            "login",
            "--smtp-relay-username",
            "relay",
            "--smtp-relay-password",
            "s3cret",
            "--smtp-relay-allowed-recipients",
            r"@example\.net$",
        )
        try:
            yield (
                run_node("api-release.cjs", str(mailpit_api()), source.url, log=source.log),
                target,
            )
        finally:
            source.stop()
            target.stop()

    def test_release_reaches_the_relay(self, relayed: tuple[Steps, Served]) -> None:
        steps, target = relayed
        steps.ok("send")
        assert steps.ok("release").startswith("ok: 250 ")
        assert steps.ok("releaseLatest").startswith("ok: 250 ")
        relay = Client(target.url)
        got = [relay.raw(m.id) for m in relay.messages().messages]
        # Newest first; the relay's Received field names the one envelope recipient.
        assert [re.findall(rb"for <([^>]+)>", raw)[0] for raw in got] == [
            b"dan@example.net",
            b"carol@example.net",
        ]
        assert all(b"\r\nSubject: Released by mailpit-api\r\n" in raw for raw in got)

    def test_an_address_outside_the_allowed_ones_is_a_400(
        self, relayed: tuple[Steps, Served]
    ) -> None:
        steps, _ = relayed
        status, body = error_detail(steps.error("notAllowed"))
        assert status == 400
        assert "eve@example.org does not match the allowed recipients" in body["detail"]

    def test_the_configuration_reports_the_relay(self, relayed: tuple[Steps, Served]) -> None:
        steps, target = relayed
        relay = steps.ok("webui")
        assert relay["Enabled"] is True
        assert relay["SMTPServer"] == f"localhost:{target.smtp[1]}"
        assert relay["AllowedRecipients"] == r"@example\.net$"
