"""The `samen` command: serve, demo, migrate."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date

import uvicorn

from app.config import Settings
from app.db import Database
from app.live.wire import UVICORN_OPTIONS
from app.migrate import upgrade


def run_server(settings: Settings, host: str, port: int) -> None:
    os.environ.setdefault("SECRET_KEY", settings.secret_key)  # the same key in every worker
    os.environ.setdefault("DATABASE_URL", settings.database_url)
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, proxy_headers=True, log_level="info",
                **UVICORN_OPTIONS)


async def _demo(settings: Settings, day: date | None) -> list:
    from app.demo import create_demo

    db = Database(settings.database_url)
    try:
        return await create_demo(db, settings.secret_key, day=day, participant_days=settings.role_link_days)
    finally:
        await db.dispose()


async def _create_organiser(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    import segno

    from app.core.input import InvalidInput
    from app.organiser import auth, totp

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Once more: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    db = Database(settings.database_url)
    try:
        async with db.write() as session:
            organiser, secret = await auth.create(session, args.username, password, args.totp)
    except InvalidInput as invalid:
        print(next(iter(invalid.errors.values())), file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"Organiser account '{organiser.username}' created. Sign in at {settings.base_url}/organiser/login")
    if secret:
        uri = totp.provisioning_uri(secret, organiser.username)
        print("Scan this code with an authenticator app (or enter the key by hand):", secret)
        segno.make(uri, error="m").terminal(compact=True)
    return 0


async def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from app.organiser.afterwards import purge_due

    db = Database(settings.database_url)
    try:
        done = await purge_due(db, days=args.days, slug=args.event)
    finally:
        await db.dispose()
    for slug, removed in done:
        print(f"{slug}: removed {removed['participants']} participants and {removed['links']} links")
    if not done:
        print("Nothing to purge.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="samen", description="Samen: the live companion of a G40 network day.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("serve", "migrate the database and run the web server"),
                            ("demo", "create the demo event (4 December's programme, held today), print the links and serve")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.choices["demo"].add_argument("--no-serve", action="store_true", help="only create the event and print links")
    sub.choices["demo"].add_argument("--day", type=date.fromisoformat, metavar="YYYY-MM-DD",
                                     help="hold the demo event on this day (default: the day it is created)")
    sub.add_parser("migrate", help="bring the database schema up to date (Alembic)")
    organiser = sub.add_parser("organiser", help="organiser accounts").add_subparsers(dest="action", required=True)
    create = organiser.add_parser("create", help="create an organiser account (asks for the password)")
    create.add_argument("username")
    create.add_argument("--totp", action="store_true", help="require a code from an authenticator app too")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    purge = sub.add_parser("purge", help="remove personal data of events whose retention period has ended")
    purge.add_argument("--days", type=int, default=30, help="retention period in days after the event (30)")
    purge.add_argument("--event", help="purge this event (slug) now, whatever its date")
    args = parser.parse_args(argv)

    if args.command in ("serve", "demo") and "BASE_URL" not in os.environ:
        os.environ["BASE_URL"] = f"http://{args.host}:{args.port}"
    settings = Settings.from_env()
    upgrade(settings.database_url)
    if args.command == "migrate":
        print("Database is up to date.")
        return 0
    if args.command == "organiser":
        return asyncio.run(_create_organiser(settings, args))
    if args.command == "purge":
        return asyncio.run(_purge(settings, args))
    if args.command == "demo":
        links = asyncio.run(_demo(settings, args.day))
        print(f"\nSamen demo: G40 Netwerkdag 4 december – Samen (event code G40DEC), held on {links.day}\n")
        width = max(len(link.role) for link in links)
        for link in links:
            note = f" ({link.note})" if link.note else ""
            where = f"{settings.base_url}{link.path}" if link.path else "-- no longer works; see the organiser's Links page"
            print(f"  {link.role:<{width}}  {link.label}{note}\n  {'':<{width}}  {where}")
        print("\nOpen the organiser link to run the block from phase to phase. Stop with Ctrl+C.\n", flush=True)
        if args.no_serve:
            return 0
    run_server(settings, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
