"""What every form and path goes through: one error type, text cleaning, ids, and the columns' widths."""

from __future__ import annotations

import re
import unicodedata

# The columns' widths: PostgreSQL refuses longer text (SQLite would store it), so every form checks them first.
NAME_MAX = 80
ORGANISATION_MAX = 80
ROLE_MAX = 80
EMAIL_MAX = 254
TOPIC_MAX = 120

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_ID = 2**31 - 1  # ids are INTEGER columns (int4 on PostgreSQL): a larger number would be a database error


class InvalidInput(Exception):
    """Bad input: carries one (untranslated) message per field; the caller translates and shows them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def clean_text(value: object, max_length: int = NAME_MAX) -> str:
    """Normalise user text: NFC, no control or bidi-override characters, spaces collapsed. One character more
    than max_length is kept, so the caller can tell the text was too long."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value)
    text = CONTROL.sub("", text)
    return " ".join(text.split())[: max_length + 1]


def as_id(value: object) -> int | None:
    """A whole number from a form or a path (an id, a count), or None for anything else: also for other digits
    ("²" is a digit to str.isdigit() but not to int()) and for numbers beyond the database's INTEGER range."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if number <= MAX_ID else None
