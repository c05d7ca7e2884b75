"""Organiser accounts: argon2 password hashes, an optional TOTP second factor, and throttled logins.

Throttling is per account (a whole city hall shares one IP address, so never by address alone): after a few
failures the account waits, doubling each time, up to a quarter of an hour (`app.throttle.ACCOUNT`, the policy
every throttle uses). The login route also counts failures per browser and per address (`app.throttle.LOGIN`),
before the password is hashed."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.events.service import InvalidInput, clean_text
from app.i18n import N_
from app.organiser import totp
from app.organiser.models import Organiser
from app.throttle import ACCOUNT

hasher = PasswordHasher()
PASSWORD_MIN = 12
_DUMMY = hasher.hash("not a real password, only to spend the same time")


async def create(session: AsyncSession, username: str, password: str, with_totp: bool) -> tuple[Organiser, str | None]:
    username = username.strip()
    if not username or len(username) > 80:
        raise InvalidInput({"username": N_("A user name needs 1 to 80 characters.")})
    if len(password) < PASSWORD_MIN:
        raise InvalidInput({"password": N_("A password needs at least 12 characters.")})
    if await session.scalar(select(Organiser).where(Organiser.username == username)):
        raise InvalidInput({"username": N_("That user name is taken.")})
    secret = totp.new_secret() if with_totp else None
    organiser = Organiser(username=username, password_hash=hasher.hash(password), totp_secret=secret)
    session.add(organiser)
    await session.flush()
    return organiser, secret


async def authenticate(session: AsyncSession, username: str, password: str, code: str) -> tuple[Organiser | None, str]:
    """Check a login: (organiser, "") or (None, message). Wrong name, password or code get one and the same
    answer. Returns instead of raising, so the caller commits the failure count."""
    refused = N_("The user name, password or code is not right.")
    username = clean_text(username)
    organiser = await session.scalar(select(Organiser).where(Organiser.username == username)) if username else None
    now = utcnow()
    if organiser is None:
        try:
            hasher.verify(_DUMMY, password)
        except (VerificationError, InvalidHashError):
            pass
        return None, refused
    if organiser.locked_until and organiser.locked_until > now:
        return None, N_("Too many failed attempts. Wait a few minutes and try again.")
    try:
        hasher.verify(organiser.password_hash, password)
        ok = True
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and organiser.totp_secret:
        ok = totp.verify(organiser.totp_secret, code)
    if not ok:
        organiser.failed_logins += 1
        wait = ACCOUNT.wait(organiser.failed_logins)
        if wait:
            organiser.locked_until = now + timedelta(seconds=wait)
        return None, refused
    organiser.failed_logins, organiser.locked_until = 0, None
    if hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = hasher.hash(password)
    return organiser, ""
