"""What every input schema of the API shares: unknown fields refused, and no text holding a
NUL character (PostgreSQL cannot store one; it would fail at the database, as a 500)."""

from ninja import Schema
from pydantic import ConfigDict, field_validator


class Input(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def no_nul_in_text(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text may not contain NUL (\\u0000) characters.")
        return value
