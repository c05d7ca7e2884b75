"""Settings from the environment, with defaults that are safe for one machine."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


def _secret_key(data_dir: Path) -> str:
    """Use SECRET_KEY if set; otherwise generate one once and keep it beside the database.

    Keeping it means sessions and role cookies survive a restart of the demo."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = data_dir / ".samen-secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _csv(value: str) -> list[str]:
    return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]


@dataclass
class Settings:
    database_url: str
    secret_key: str
    broker_url: str = "memory://"
    allowed_origins: list[str] = field(default_factory=list)
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False
    tick_seconds: float = 0.15
    default_locale: str = "nl"
    max_body_bytes: int = 1_000_000
    ws_max_message_bytes: int = 64 * 1024
    ws_send_timeout: float = 10.0
    role_link_days: int = 7

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("SAMEN_DATA_DIR", Path.cwd() / "var"))
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'samen.db'}"
        if database_url.startswith("sqlite") and "DATABASE_URL" not in env:
            data_dir.mkdir(parents=True, exist_ok=True)
        base_url = env.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        if "SECRET_KEY" in env:
            secret = env["SECRET_KEY"]
        else:
            secret = _secret_key(data_dir)
        return cls(
            database_url=database_url,
            secret_key=secret,
            broker_url=env.get("BROKER_URL", "memory://"),
            allowed_origins=_csv(env.get("ALLOWED_ORIGINS", "")) or [base_url],
            base_url=base_url,
            cookie_secure=env.get("COOKIE_SECURE", "").lower() in ("1", "true", "yes")
            or base_url.startswith("https://"),
            tick_seconds=float(env.get("LIVE_TICK_MS", "150")) / 1000,
            default_locale=env.get("DEFAULT_LOCALE", "nl"),
            role_link_days=int(env.get("ROLE_LINK_DAYS", "7")),
        )
