"""Organiser accounts: argon2 password hashes, an optional TOTP second factor, and throttled logins.

Throttling is not done here: the login route throttles per submitted user name and browser, and per submitted user
name and address (`app.throttle.LOGIN`, `LOGIN_ANY`), before the password is hashed, and a browser that signed in
as that user before is not held back by its address. There is no account-wide lock (the `failed_logins` and
`locked_until` columns are no longer used): it let anyone who knows a user name keep the owner out all day. Every
failure gets one and the same answer, whether the user exists or not."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.input import InvalidInput, clean_text
from app.events.models import Organiser
from app.i18n import N_
from app.organiser import totp

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


def login_name(username: object) -> str:
    """The submitted user name as the login throttle keys it, whether or not such an account exists: at least as
    normalised as the account lookup (`clean_text`), so no spelling of a name gets a budget of its own."""
    return clean_text(username).casefold()


async def authenticate(session: AsyncSession, username: str, password: str, code: str) -> tuple[Organiser | None, str]:
    """Check a login: (organiser, "") or (None, message). Wrong name, password or code get one and the same
    answer (and an unknown name costs the same password hash as a known one)."""
    refused = N_("The user name, password or code is not right.")
    username = clean_text(username)
    organiser = await session.scalar(select(Organiser).where(Organiser.username == username)) if username else None
    if organiser is None:
        try:
            hasher.verify(_DUMMY, password)
        except (VerificationError, InvalidHashError):
            pass
        return None, refused
    try:
        hasher.verify(organiser.password_hash, password)
        ok = True
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and organiser.totp_secret:
        ok = totp.verify(organiser.totp_secret, code)
    if not ok:
        return None, refused
    if hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = hasher.hash(password)
    return organiser, ""
