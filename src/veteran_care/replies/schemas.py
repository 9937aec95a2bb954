"""The reply webhook's shapes."""

import uuid

from pydantic import ConfigDict, Field

from veteran_care.kit.schemas import InputSchema, OutputSchema
from veteran_care.kit.text import Line100, Text4000


class InboundReply(InputSchema):
    """A person's SMS as the gateway forwards it."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"id": "mo-20270720-0001", "from": "84912345678", "text": "HUY"}]
        },
    )

    id: Line100
    """The gateway's id of the reply: a reply delivered twice is acted on once."""
    sender: str = Field(alias="from", pattern=r"^\+?[0-9]{8,15}$")
    """The number it came from (0…, 84… or +84…)."""
    text: Text4000
    """What the person wrote."""


class ReplyRead(OutputSchema):
    """What came of a reply."""

    action: str
    """cancelled (HUY: the checkup is cancelled and its places freed), confirmed (CO), logged
    (another text, kept for a person to read) or unmatched (no message of ours was sent to the
    number, or its checkup is no longer planned)."""
    checkup_id: uuid.UUID | None
    """The checkup the reply was taken to be about."""
