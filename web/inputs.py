"""JSON bodies the API takes, in Mailpit's shapes, read the way Mailpit reads them.

Every request model derives from `StrictIn`:
- a key the model does not have is refused (400, naming it; see mailtrap.web.errors), never
  silently dropped: a misspelt "Header" or "Triggers" is an error, not a request that quietly
  did something else;
- a key that differs from a field only in case is that field, and a null is the field's
  default, as Go's encoding/json (Mailpit) reads them: `{"ids": null, "read": true}` works
  there, so it works here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mailtrap.message.parsing import MAX_TAG_LENGTH, MAX_TAGS

__all__ = [
    "DeleteIn",
    "SendAddressIn",
    "SendAttachmentIn",
    "SendIn",
    "SetReadIn",
    "SetTagsIn",
    "StrictIn",
    "TagsIn",
]


class StrictIn(BaseModel):
    """A request body: unknown keys refused, keys matched to fields ignoring case."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _match_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = {name.lower(): name for name in cls.model_fields}
        # Where two keys name one field ("Read" and "read"), the later wins, as in Go; a null
        # leaves the field as it was (its default), as Go's decoder does.
        return {
            (names.get(key.lower(), key) if isinstance(key, str) else key): value
            for key, value in data.items()
            if value is not None
        }


class SetReadIn(StrictIn):
    """PUT /api/v1/messages. `IDs` or `Search` pick the messages; neither means all."""

    IDs: list[str] = []
    Search: str = ""
    Read: bool = False


def _tag(tag: str) -> str:
    # Not StringConstraints: that also refuses a lone surrogate, which /send's own checks
    # name with a 400 (as for every other field).
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"a tag has at most {MAX_TAG_LENGTH} characters, this one {len(tag)}")
    return tag


# As many tags, as long, as a message may carry (mailtrap.message.parsing): refused, not cut,
# when sent.
TagsIn = Annotated[list[Annotated[str, AfterValidator(_tag)]], Field(max_length=MAX_TAGS)]


class DeleteIn(StrictIn):
    """DELETE /api/v1/messages. No `IDs` (or no body) deletes every message."""

    IDs: list[str] = []


class SetTagsIn(StrictIn):
    """PUT /api/v1/tags: replace the tags of `IDs` with `Tags` (empty removes them all)."""

    IDs: list[str]
    Tags: TagsIn = []


class SendAddressIn(StrictIn):
    Email: str
    Name: str = ""


class SendAttachmentIn(StrictIn):
    Content: str
    Filename: str
    ContentType: str = ""
    ContentID: str = ""


class SendIn(StrictIn):
    """POST /api/v1/send: Mailpit's shape. `Content` of an attachment is base64."""

    From: SendAddressIn
    To: list[SendAddressIn] = []
    Cc: list[SendAddressIn] = []
    Bcc: list[str] = []
    ReplyTo: list[SendAddressIn] = []
    Subject: str = ""
    Text: str = ""
    HTML: str = ""
    Attachments: list[SendAttachmentIn] = []
    Headers: dict[str, str] = {}
    Tags: TagsIn = []
