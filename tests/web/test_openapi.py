"""/openapi.json tells the truth: real responses, success and error, validate against it."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from inprocess import InProcess
from jsonschema import Draft202012Validator
from mailfactory import build_mail, envelope_for

from mailtrap import MessageStore

Live = tuple[InProcess, httpx.Client]

DOCUMENTED = {
    "/livez",
    "/readyz",
    "/api/v1/messages",
    "/api/v1/search",
    "/api/v1/message/{id}",
    "/api/v1/message/{id}/headers",
    "/api/v1/message/{id}/raw",
    "/api/v1/message/{id}/stored",
    "/api/v1/message/{id}/part/{part_id}",
    "/api/v1/info",
    "/api/v1/tags",
    "/api/v1/send",
    "/api/v1/wait",
    "/api/v1/chaos",
    "/api/v1/chaos/rules",
    "/api/v1/tags/{tag}",
    "/api/v1/webui",
    "/api/v1/message/{id}/part/{part_id}/thumb",
    "/api/v1/message/{id}/html-check",
    "/api/v1/message/{id}/link-check",
    "/api/v1/message/{id}/sa-check",
    "/api/v1/message/{id}/a11y-check",
    "/api/v1/message/{id}/release",
    "/view/{id}.html",
    "/view/{id}.txt",
    # MailHog's (README, "Coming from MailHog"); its WebSocket is not an OpenAPI path.
    "/api/v2/messages",
    "/api/v2/search",
    "/api/v2/jim",
    "/api/v1/messages/{id}",
    "/api/v1/messages/{id}/download",
    "/api/v1/messages/{id}/mime/part/{index}/download",
    "/api/v1/messages/{id}/release",
    "/api/v1/events",
    "/metrics",
}


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.checked: set[tuple[str, str, int]] = set()

    def check(self, response: httpx.Response, path: str) -> None:
        """Validate a JSON `response` against what the spec says `path` answers."""
        method = response.request.method.lower()
        operation = self.document["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path} {status} is undocumented"
        content = operation["responses"][status].get("content", {})
        assert "application/json" in content, f"{method} {path} {status} documents no JSON"
        schema = {
            "allOf": [content["application/json"]["schema"]],
            "components": self.document["components"],
        }
        Draft202012Validator(schema).validate(response.json())
        self.checked.add((method, path, response.status_code))


@pytest.fixture
def spec(live: Live) -> Spec:
    _, http = live
    return Spec(http.get("/openapi.json").json())


def test_every_route_is_documented(spec: Spec) -> None:
    assert set(spec.document["paths"]) == DOCUMENTED


def test_real_responses_match_the_schema(live: Live, store: MessageStore, spec: Spec) -> None:
    _, http = live
    raw = build_mail(
        subject="doc",
        html="<p>x</p>",
        headers={"X-Tags": "t"},
        attachments=(("a.pdf", "application/pdf", b"%PDF"),),
    )
    id = store.add(raw, envelope_for(raw)).id
    check = spec.check
    check(http.get("/api/v1/messages"), "/api/v1/messages")
    check(http.get("/api/v1/messages", params={"limit": -1}), "/api/v1/messages")
    check(http.get("/api/v1/messages", params={"extras": 1}), "/api/v1/messages")
    check(http.get("/api/v1/search", params={"query": "doc", "extras": 1}), "/api/v1/search")
    check(http.get(f"/api/v1/message/{id}", params={"extras": 1}), "/api/v1/message/{id}")
    check(http.get("/api/v1/info", params={"extras": 1}), "/api/v1/info")
    check(http.get("/api/v1/wait", params={"count": 0}), "/api/v1/wait")
    check(http.put("/api/v1/messages", json={"Bogus": 1}), "/api/v1/messages")
    check(http.request("DELETE", "/api/v1/messages", content=b"{"), "/api/v1/messages")
    check(http.get("/api/v1/search", params={"query": "doc"}), "/api/v1/search")
    check(http.get("/api/v1/search", params={"query": "nope:x"}), "/api/v1/search")
    check(http.get(f"/api/v1/message/{id}"), "/api/v1/message/{id}")
    check(http.get("/api/v1/message/missing"), "/api/v1/message/{id}")
    check(http.get(f"/api/v1/message/{id}/headers"), "/api/v1/message/{id}/headers")
    check(http.get("/api/v1/message/missing/raw"), "/api/v1/message/{id}/raw")
    check(http.get(f"/api/v1/message/{id}/stored"), "/api/v1/message/{id}/stored")
    check(http.get("/api/v1/message/missing/stored"), "/api/v1/message/{id}/stored")
    check(http.get(f"/api/v1/message/{id}/part/9"), "/api/v1/message/{id}/part/{part_id}")
    check(http.get(f"/api/v1/message/{id}/html-check"), "/api/v1/message/{id}/html-check")
    check(http.get("/api/v1/info"), "/api/v1/info")
    check(http.get("/api/v1/tags"), "/api/v1/tags")
    check(http.put("/api/v1/tags", json={"Tags": []}), "/api/v1/tags")
    check(http.get("/api/v1/wait", params={"timeout": 1}), "/api/v1/wait")
    check(http.get("/api/v1/wait", params={"query": "nothing", "timeout": 0.1}), "/api/v1/wait")
    sent = http.post(
        "/api/v1/send",
        json={
            "From": {"Email": "a@example.com"},
            "To": [{"Email": "b@example.com"}],
            "Attachments": [{"Content": base64.b64encode(b"hi").decode(), "Filename": "h.txt"}],
        },
    )
    check(sent, "/api/v1/send")
    check(http.post("/api/v1/send", json={"From": {"Email": "a@example.com"}}), "/api/v1/send")
    check(http.post("/api/v1/send", json={"To": []}), "/api/v1/send")
    check(http.put("/api/v1/messages", json={"IDs": [id], "Search": "x"}), "/api/v1/messages")
    a11y = "/api/v1/message/{id}/a11y-check"
    check(http.get(f"/api/v1/message/{id}/a11y-check"), a11y)  # findings: no lang
    check(http.get(f"/api/v1/message/{sent.json()['ID']}/a11y-check"), a11y)  # no HTML: 400
    check(http.get("/api/v1/message/missing/a11y-check"), a11y)
    statuses = {status for _, _, status in spec.checked}
    assert statuses == {200, 400, 404, 408, 422}


def test_the_issue_15_endpoints_answer_as_documented(
    live: Live, store: MessageStore, spec: Spec
) -> None:
    _, http = live
    raw = build_mail(headers={"X-Tags": "one, two"})
    id = store.add(raw, envelope_for(raw)).id
    check = spec.check
    check(http.get("/api/v1/webui"), "/api/v1/webui")
    tag = "/api/v1/tags/{tag}"
    check(http.put("/api/v1/tags/missing", json={"Name": "x"}), tag)
    check(http.put("/api/v1/tags/one", json={"Name": "two"}), tag)
    check(http.put("/api/v1/tags/one", json={"Name": "!"}), tag)
    check(http.put("/api/v1/tags/one", json={}), tag)  # no Name: a 400, as every bad body
    check(http.delete("/api/v1/tags/missing"), tag)
    check(
        http.get(f"/api/v1/message/{id}/part/9/thumb"), "/api/v1/message/{id}/part/{part_id}/thumb"
    )
    check(http.get(f"/view/{id}.html"), "/view/{id}.html")  # no HTML part: 404
    check(http.get("/view/latest.txt", params={"query": "nope:x"}), "/view/{id}.txt")
    check(http.get("/api/v1/message/latest", params={"query": "zzz"}), "/api/v1/message/{id}")
    for name in ("html-check", "sa-check"):
        check(http.get(f"/api/v1/message/{id}/{name}"), f"/api/v1/message/{{id}}/{name}")
    check(http.post(f"/api/v1/message/{id}/release"), "/api/v1/message/{id}/release")
    link_check = "/api/v1/message/{id}/link-check"
    check(http.get(f"/api/v1/message/{id}/link-check"), link_check)  # no links: no requests
    check(http.get("/api/v1/message/nope/link-check"), link_check)
    check(http.get(f"/api/v1/message/{id}/link-check", params={"follow": "x"}), link_check)
    assert {status for _, _, status in spec.checked} == {200, 400, 404, 409}


def test_mailhogs_routes_answer_as_documented(live: Live, store: MessageStore, spec: Spec) -> None:
    _, http = live
    raw = build_mail(subject="hog")
    id = store.add(raw, envelope_for(raw)).id
    check = spec.check
    check(http.get("/api/v2/messages"), "/api/v2/messages")
    check(http.get("/api/v2/search", params={"kind": "to", "query": "x"}), "/api/v2/search")
    check(http.get("/api/v2/search", params={"kind": "subject", "query": "x"}), "/api/v2/search")
    check(http.get(f"/api/v1/messages/{id}"), "/api/v1/messages/{id}")
    check(http.get("/api/v1/messages/missing"), "/api/v1/messages/{id}")
    check(http.delete("/api/v1/messages/missing"), "/api/v1/messages/{id}")
    check(http.get("/api/v1/messages/missing/download"), "/api/v1/messages/{id}/download")
    part = "/api/v1/messages/{id}/mime/part/{index}/download"
    check(http.get(f"/api/v1/messages/{id}/mime/part/9/download"), part)
    release = "/api/v1/messages/{id}/release"
    check(http.post(f"/api/v1/messages/{id}/release", json={"Host": "h"}), release)
    check(http.post(f"/api/v1/messages/{id}/release", json={"Bogus": 1}), release)
    check(http.post("/api/v1/messages/missing/release", json={}), release)
    check(http.get("/api/v2/jim"), "/api/v2/jim")  # no SMTP server here: 404
    assert {status for _, _, status in spec.checked} == {200, 400, 404}
