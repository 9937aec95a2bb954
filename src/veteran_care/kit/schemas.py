"""Schema bases: input refuses unknown fields; output reads from ORM attributes."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Strict

# JSON bodies take booleans and integers as they are: `0` is not `false`, `"12"` is not `12`
# (the OpenAPI types say so, and generated clients send the real types).
Bool = Annotated[bool, Strict()]
Int = Annotated[int, Strict()]


class InputSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutputSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
