"""Time-based one-time passwords (RFC 6238, the codes of authenticator apps), for the organiser's second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP = 30
DIGITS = 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def code_at(secret: str, moment: float) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(moment // STEP))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def verify(secret: str, code: str, moment: float | None = None) -> bool:
    """Accept the current code and its neighbours (clocks drift by a few seconds)."""
    moment = time.time() if moment is None else moment
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return False
    return any(hmac.compare_digest(code_at(secret, moment + delta * STEP), code) for delta in (-1, 0, 1))


def provisioning_uri(secret: str, username: str) -> str:
    return f"otpauth://totp/Samen:{quote(username)}?secret={secret}&issuer=Samen&digits={DIGITS}&period={STEP}"
