"""Schema bases: input refuses unknown fields; output reads from ORM attributes."""

from pydantic import BaseModel, ConfigDict


class InputSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutputSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
