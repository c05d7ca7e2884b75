"""Screenshots of every role in every phase of a whole run of the demo block, at the sizes people use.

    python docs/make_screens.py                  # all of them, into docs/screens/
    python docs/make_screens.py --out /tmp/s     # somewhere else

It starts a real Samen server (uvicorn, a temporary SQLite database with the demo event), opens the pages in
Debian's Chromium (/usr/bin/chromium, as the browser tests do) and plays the block: questions asked, approved
and put on air, an invitation to react, votes in every kind of poll question, the lunch seated and published.
Phones are 390x844, laptops 1440x900 (the host 1280x800), the beamer 1920x1080 (and 1280x720, 3840x2160 for the
presenter's debate and poll). Needs the test dependencies (playwright)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import Database  # noqa: E402
from app.demo import PARTICIPANTS, SLUG, TABLES, create_demo, demo_password, demo_token  # noqa: E402
from app.live.wire import uvicorn_flags  # noqa: E402
from app.migrate import upgrade  # noqa: E402

SECRET = "screenshots-only-secret-key"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
HOST_LAPTOP = {"width": 1280, "height": 800}
BEAMER = {"width": 1920, "height": 1080}
BEAMERS = {"720p": {"width": 1280, "height": 720}, "4k": {"width": 3840, "height": 2160}}
SETTLE_MS = 900  # live updates arrive within a tick or two; screenshots wait this long after an action

QUESTIONS = [
    ("Hoe voorkomen we dat de regio een extra bestuurslaag wordt waar de gemeenteraad geen grip op heeft?", False),
    ("Wat vraagt 'één overheid' concreet van het Rijk als het gaat om de financiering van de jeugdzorg?", False),
    ("Welke rol ziet de studiegroep voor middelgrote steden in de woningbouwopgave van de komende tien jaar?", True),
    ("Hoe zorgen we dat de opschalingskorting niet opnieuw vooral de G40-steden raakt?", False),
    ("Kan het nieuwe kabinet meerjarige afspraken maken in plaats van steeds nieuwe tijdelijke potjes?", False),
    # A near-duplicate of the first: the moderator's console shows it with "lijkt op".
    ("Hoe voorkomen we dat de regio een bestuurslaag wordt zonder grip van de gemeenteraad?", False),
]
WORDS = ["verbindend", "efficiënt", "vermoeiend", "efficiënt", "onwennig", "toegankelijk", "efficiënt",
         "verbindend", "gezellig", "praktisch", "verbindingsgericht", "afstandelijk"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, _free_port()
        self.db_path = data_dir / "samen.db"
        self.base_url = f"http://127.0.0.1:{self.port}"
        url = f"sqlite+aiosqlite:///{self.db_path}"
        upgrade(url)

        async def seed() -> None:
            db = Database(url)
            try:
                await create_demo(db, SECRET)
            finally:
                await db.dispose()

        asyncio.run(seed())
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "BASE_URL": self.base_url,
               "SAMEN_DATA_DIR": str(data_dir), "LIVE_TICK_MS": "50"}
        self.log = (data_dir / "uvicorn.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                                         "--host", "127.0.0.1", "--port", str(self.port), *uvicorn_flags()],
                                        cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start: see " + str(data_dir / "uvicorn.log"))

    def ids(self, sql: str) -> list:
        with sqlite3.connect(self.db_path) as conn:
            return [row for row in conn.execute(sql)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Run:
    """The people in the room, each in a browser context of their own."""

    def __init__(self, playwright, server: Server, out: Path) -> None:
        self.server, self.out = server, out
        self.browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        self.pages: dict[str, object] = {}
        role = lambda r, label: f"/r/{demo_token(SECRET, f'{r}:{label}')}"  # noqa: E731
        person = lambda name: f"/j/{demo_token(SECRET, f'participant:{name}')}"  # noqa: E731
        self.open("organiser", LAPTOP, None)
        self.open("moderator", LAPTOP, role("moderator", "Gespreksleider"))
        self.open("presenter", BEAMER, role("presenter", "Presentatiescherm"))
        self.open("host", HOST_LAPTOP, role("host", TABLES[0][1]))
        self.open("participant", PHONE, person(PARTICIPANTS[0][0]), mobile=True)
        for name, size in BEAMERS.items():
            self.open(f"presenter-{name}", size, role("presenter", "Presentatiescherm"))
        # The rest of the room votes and asks through plain requests (cookies of their own).
        self.crowd = []
        for name, _city, _title in PARTICIPANTS[1:16]:
            context = playwright.request.new_context(base_url=server.base_url)
            context.get(person(name))
            self.crowd.append(context)

    def open(self, label: str, viewport: dict, link: str | None, mobile: bool = False) -> None:
        context = self.browser.new_context(base_url=self.server.base_url, viewport=viewport, locale="nl-NL",
                                           is_mobile=mobile, has_touch=mobile)
        if link is None:  # the organiser signs in
            context.request.post("/organiser/login", headers={"Origin": self.server.base_url},
                                 form={"username": "organisator", "password": demo_password(SECRET),
                                       "next": f"/e/{SLUG}/organiser"})
            link = f"/e/{SLUG}/organiser"
        page = context.new_page()
        page.goto(link)
        page.wait_for_selector("#live-status[data-state=online]")
        self.pages[label] = page

    def post(self, who, path: str, form: dict) -> None:
        context = who if not hasattr(who, "context") else who.context.request
        response = context.post(path, headers={"Origin": self.server.base_url}, form=form)
        if response.status >= 400:
            raise SystemExit(f"POST {path} answered {response.status}: {response.text()[:300]}")

    def phase(self, action: str) -> None:
        self.post(self.pages["organiser"], f"/e/{SLUG}/phase", {"action": action})

    def shoot(self, step: str, roles: list[str]) -> None:
        self.pages["organiser"].wait_for_timeout(SETTLE_MS)
        for label in roles:
            page = self.pages[label]
            device = {"participant": "phone", "host": "laptop", "organiser": "laptop", "moderator": "laptop"}.get(
                label, "beamer")
            name = f"{step}-{label}-{device}.png" if label.startswith("presenter") is False else f"{step}-{label}.png"
            page.screenshot(path=str(self.out / name))
            print("  ", name)

    def close(self) -> None:
        for context in self.crowd:
            context.dispose()
        self.browser.close()


def play(run: Run, server: Server) -> None:
    everyone = ["participant", "moderator", "presenter", "organiser", "host"]
    run.shoot("0-before", everyone)

    run.phase("next")  # the debate
    me = run.pages["participant"]
    for i, (text, anonymous) in enumerate(QUESTIONS):
        asker = run.crowd[i] if i else me
        run.post(asker, f"/e/{SLUG}/questions", {"body": text, "anonymous": "1" if anonymous else "",
                                                 "key": f"screens-question-{i:02d}-{'x' * 16}"})
    questions = [q for (q,) in server.ids("SELECT id FROM question ORDER BY id")]
    moderator = run.pages["moderator"]
    for qid in questions[:4]:
        run.post(moderator, f"/e/{SLUG}/moderator/questions/{qid}", {"action": "approve"})
    for voter in run.crowd[:9]:
        run.post(voter, f"/e/{SLUG}/questions/{questions[1]}/vote", {"up": "1"})
    run.post(moderator, f"/e/{SLUG}/moderator/questions/{questions[1]}", {"action": "on_air"})
    run.shoot("1-debate", everyone + list(f"presenter-{n}" for n in BEAMERS))
    me_id = server.ids(f"SELECT id FROM participant WHERE name = '{PARTICIPANTS[0][0]}'")[0][0]
    run.post(moderator, f"/e/{SLUG}/moderator/invite", {"participant": str(me_id), "question": str(questions[0])})
    run.shoot("1-debate-invitation", ["participant", "moderator"])
    invitation = server.ids(f"SELECT id FROM invitation WHERE participant_id = {me_id}")[0][0]
    run.post(me, f"/e/{SLUG}/invitations/{invitation}", {"ready": "1"})

    run.phase("next")  # the poll
    polls = server.ids("SELECT id, kind FROM poll_question ORDER BY position")
    options = {}
    for qid, _kind in polls:
        options[qid] = [o for (o,) in server.ids(f"SELECT id FROM poll_option WHERE question_id = {qid} ORDER BY position")]
    voters = [me, *run.crowd]
    for n, (qid, kind) in enumerate(polls[:4], start=1):
        run.post(moderator, f"/e/{SLUG}/polls/{qid}/open", {})
        for i, voter in enumerate(voters):
            if kind == "single":
                form = {"option": str(options[qid][(i * 7) % 3])}
            elif kind == "multiple":
                form = {"option": [str(options[qid][i % 5]), str(options[qid][(i + 2) % 5])]}
            elif kind == "scale":
                form = {"value": str(2 + (i * 5) % 4)}
            else:
                form = {"text": WORDS[i % len(WORDS)]}
            if isinstance(form.get("option"), list):  # two ticks: a multipart-free form with a repeated field
                context = voter if not hasattr(voter, "context") else voter.context.request
                response = context.post(f"/e/{SLUG}/polls/{qid}/vote", headers={
                    "Origin": server.base_url, "Content-Type": "application/x-www-form-urlencoded"},
                    data="&".join(f"option={o}" for o in form["option"]))
                assert response.status < 400, response.status
            else:
                run.post(voter, f"/e/{SLUG}/polls/{qid}/vote", form)
        run.shoot(f"2-poll-{n}-{kind}", ["participant", "presenter", "moderator"]
                  + ([f"presenter-{b}" for b in BEAMERS] if kind in ("words", "scale") else []))
        run.post(moderator, f"/e/{SLUG}/polls/{qid}/close", {})
    run.shoot("2-poll-overview", ["participant", "presenter", "organiser"])

    run.post(run.pages["organiser"], f"/e/{SLUG}/tables/seating", {"action": "preview"})
    run.post(run.pages["organiser"], f"/e/{SLUG}/tables/seating", {"action": "publish"})
    run.phase("next")  # the lunch
    run.shoot("3-lunch", everyone)
    # The host's whole page: below the guest list, the talking points the debate and the poll gave (live).
    run.pages["host"].screenshot(path=str(run.out / "3-lunch-host-laptop-full.png"), full_page=True)
    print("   3-lunch-host-laptop-full.png")
    run.post(run.pages["organiser"], f"/e/{SLUG}/organiser/agenda/seed", {})  # themes from debate and poll
    run.phase("next")  # Blik op 2021
    themes = [t for (t,) in server.ids("SELECT id FROM agenda_theme ORDER BY position")]
    for i, voter in enumerate([me, *run.crowd]):
        picks = [themes[(i * 2 + k) % len(themes)] for k in range(min(3, len(themes)))][: 1 + i % 3]
        context = voter if not hasattr(voter, "context") else voter.context.request
        context.post(f"/e/{SLUG}/agenda/picks", headers={"Origin": server.base_url,
                                                          "Content-Type": "application/x-www-form-urlencoded"},
                     data="&".join(f"theme={t}" for t in picks))
    run.shoot("4-closing", everyone + [f"presenter-{b}" for b in BEAMERS])
    run.phase("next")  # the end
    run.shoot("5-after", ["participant", "presenter"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            with sync_playwright() as playwright:
                run = Run(playwright, server, args.out)
                try:
                    play(run, server)
                finally:
                    run.close()
        finally:
            server.stop()
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
