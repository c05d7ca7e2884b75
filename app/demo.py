"""The demo event: the Samen block of the G40 network day of 4 December, from the invitation letter.

The programme keeps the letter's times and titles, but the event is held on the day the demo is created (or
`samen demo --day`), so its links work for their whole validity whatever the date. Idempotent: running it again
finds the event and changes nothing, unless its links have expired (then it moves to today).
Demo links are derived from SECRET_KEY (HMAC), so they stay the same across restarts while remaining unguessable;
only their hashes are stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, utcnow
from app.events.models import Event, Municipality, Organiser, Participant, ProgrammePart, RoleLink
from app.events.municipalities import G40_CITIES
from app.organiser.auth import create as create_organiser
from app.polls.models import PollOption, PollQuestion
from app.security import hash_token, link_token
from app.tables.models import LunchTable

SLUG = "netwerkdag-4-december"
ORGANISER = "organisator"
CODE = "G40DEC"
ROLE_LINK_VALID_DAYS = 30  # the demo's moderator, presenter and host links

PROGRAMME = [
    ("debate", "Het G40Gesprek", "11:30", "12:15",
     "Onder leiding van een deskundige gespreksleider gaat de voorzitter op locatie in debat met prominente "
     "gasten, onder wie Bernard ter Haar, voorzitter van de studiegroep Interbestuurlijke en Financiële "
     "Verhoudingen, over de grote opgaven van een nieuw kabinet, vanuit de optiek van de steden. Waar liggen de "
     "kansen en de risico's? Wie zijn je partners? Wat betekent één overheid? Hoe verhouden stad en regio zich? "
     "Stuur uw vragen en inbreng in; af en toe nodigt de gespreksleider een digitale deelnemer uit om te reageren."),
    ("poll", "Digitaal netwerken", "12:15", "12:45",
     "We peilen uw mening over digitaal netwerken. Het totaalbeeld van de antwoorden verschijnt direct in beeld, "
     "zodat we er ter plekke een eerste gevoel over kunnen delen."),
    ("lunch", "Interactieve netwerklunch", "12:45", "13:15",
     "Aan meerdere lunchtafels wikken en wegen we wat er besproken is, begeleid door tafeldames en -heren. "
     "De ontmoeting verloopt via het scherm; de broodjes smeert u zelf."),
    ("closing", "Blik op 2021", "13:15", "13:30",
     "De voorzitter sluit het blok 'Samen' af met een blik op het belangrijke verkiezingsjaar 2021."),
]

POLL = [
    ("single", "Hoe verhoudt deze online netwerkdag zich tot een fysieke netwerkdag?",
     ["Beter", "Even goed", "Iets minder", "Veel minder"], {}),
    ("multiple", "Wat mist u online het meest? (maximaal twee)",
     ["Het informele gesprek bij de lunch", "Elkaar even aan de jas trekken", "Nieuwe collega's ontmoeten",
      "De sfeer in de zaal", "Niets, online bevalt prima"], {"max_choices": 2}),
    ("scale", "Hoe goed lukt netwerken via het scherm u vandaag?", [],
     {"scale_min": 1, "scale_max": 5, "scale_min_label": "Slecht", "scale_max_label": "Uitstekend"}),
    ("words", "Welk woord past voor u bij digitaal netwerken?", [], {}),
    ("multiple", "Welke online vormen wilt u houden, ook als we elkaar weer fysiek kunnen ontmoeten?",
     ["Online themagroepen", "Hybride netwerkdag", "Digitale lunchtafels", "Live peilingen", "Geen"], {}),
    ("text", "Wat is uw tip voor de volgende digitale netwerkdag?", [], {"results": "after_close"}),
]

TABLES = [
    ("Tafel Stad en regio", "Annemiek de Vries", "Zwolle", "Stad en regio"),
    ("Tafel Eén overheid", "Pieter Bakker", "Ede", "Eén overheid"),
    ("Tafel Financiële verhoudingen", "Sanne Jansen", "Amersfoort", "Financiële verhoudingen"),
    ("Tafel Wonen en wijken", "Mohamed El Amrani", "Arnhem", "Wonen en wijken"),
    ("Tafel Werk en economie", "Ingrid Smit", "Venlo", "Werk en economie"),
    ("Tafel Verkiezingen 2021", "Joost Visser", "Leeuwarden", "Verkiezingen 2021"),
]

PARTICIPANTS = [
    ("Marieke Hendriks", "Groningen", "Wethouder"), ("Erik van Dijk", "Nijmegen", "Burgemeester"),
    ("Fatima Bouzid", "Tilburg", "Wethouder"), ("Jan de Boer", "Deventer", "Beleidsadviseur"),
    ("Lotte Mulder", "Almere", "Wethouder"), ("Kees Willems", "Breda", "Gemeentesecretaris"),
    ("Ayşe Yilmaz", "Hengelo", "Wethouder"), ("Bram Kuipers", "Assen", "Burgemeester"),
    ("Noor van Leeuwen", "Helmond", "Beleidsmedewerker"), ("Ruud Peters", "Sittard-Geleen", "Wethouder"),
    ("Esther Bos", "Apeldoorn", "Wethouder"), ("Thijs Vermeulen", "Oss", "Wethouder"),
    ("Hanneke Dekker", "Schiedam", "Burgemeester"), ("Youssef Haddou", "Zaanstad", "Wethouder"),
    ("Gerda Postma", "Leeuwarden", "Strategisch adviseur"), ("Willem Brouwer", "Haarlem", "Wethouder"),
    ("Iris Koster", "Enschede", "Wethouder"), ("Martijn Hoekstra", "Emmen", "Burgemeester"),
    ("Sophie van den Berg", "Dordrecht", "Wethouder"), ("Dennis Meijer", "Maastricht", "Wethouder"),
    ("Karin Wolters", "Leiden", "Beleidsadviseur"), ("Rik Schouten", "Delft", "Wethouder"),
    ("Petra Claassen", "Venlo", "Wethouder"), ("Hugo de Graaf", "Alkmaar", "Burgemeester"),
]


@dataclass
class DemoLink:
    role: str
    label: str
    path: str  # "" when the link no longer works
    note: str = ""  # why it does not work (revoked, expired), or until when it does


class DemoLinks(list[DemoLink]):
    """The demo's links, and the day its event is held on."""

    def __init__(self, links: list[DemoLink], day: date) -> None:
        super().__init__(links)
        self.day = day


def demo_password(secret_key: str) -> str:
    """The demo organiser's password: derived from the secret key, so it is the same at every start."""
    return link_token(secret_key, "demo:organiser-password", 1)[:16]


def demo_token(secret_key: str, purpose: str) -> str:
    """The demo's links use the ordinary derivation with a readable link key, so they survive restarts and the
    organiser's link sheet shows the same links."""
    return link_token(secret_key, f"demo:{purpose}", 1)


async def ensure_municipalities(db: Database) -> dict[str, int]:
    async with db.write() as session:
        existing = {m.name: m.id for m in await session.scalars(select(Municipality))}
        for name in G40_CITIES:
            if name not in existing:
                municipality = Municipality(name=name, g40=True)
                session.add(municipality)
                await session.flush()
                existing[name] = municipality.id
    return existing


def _role_link_expiry(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(days=ROLE_LINK_VALID_DAYS)


async def create_demo(db: Database, secret_key: str, day: date | None = None,
                      participant_days: int = 7) -> DemoLinks:
    """Create the demo event if it is missing; return the links for every role that still work.

    The event is held on `day`, by default the day the demo is created, so its links work for their whole
    validity whatever the date. Run again, it keeps its day unless `day` is given or its participant links have
    expired (`participant_days` after the day, the server's ROLE_LINK_DAYS): then it moves to that day or today,
    and the demo's own role links with it."""
    today = utcnow().date()
    cities = await ensure_municipalities(db)
    async with db.write() as session:
        event = await session.scalar(select(Event).where(Event.slug == SLUG))
        if event is None:
            event = Event(slug=SLUG, name="G40 Netwerkdag 4 december – Samen", day=day or today, code=CODE)
            session.add(event)
            await session.flush()
            for position, (kind, title, start, end, text) in enumerate(PROGRAMME, start=1):
                session.add(ProgrammePart(event_id=event.id, position=position, kind=kind, title=title,
                                          starts_at=start, ends_at=end, description=text))
            for position, (kind, prompt, options, extra) in enumerate(POLL, start=1):
                question = PollQuestion(event_id=event.id, position=position, kind=kind, prompt=prompt, **extra)
                question.options = [PollOption(position=i, label=label) for i, label in enumerate(options, 1)]
                session.add(question)

            def role(role: str, label: str) -> RoleLink:
                link = RoleLink(event_id=event.id, role=role, label=label, link_key=f"demo:{role}:{label}",
                                token_hash=hash_token(demo_token(secret_key, f"{role}:{label}")),
                                expires_at=_role_link_expiry(event.day))
                session.add(link)
                return link

            role("moderator", "Gespreksleider")
            role("moderator", "Assistent moderatie")
            role("presenter", "Presentatiescherm")
            for name, host, city, topic in TABLES:
                link = role("host", host)
                await session.flush()
                session.add(LunchTable(event_id=event.id, name=name, capacity=8, topic=topic,
                                       video_url=f"https://meet.jit.si/G40-Samen-{name.split()[-1]}",
                                       host_link_id=link.id, host_name=host,
                                       host_municipality_id=cities[city]))
            for name, city, title in PARTICIPANTS:
                session.add(Participant(event_id=event.id, name=name, municipality_id=cities[city],
                                        role_title=title, link_key=f"demo:participant:{name}",
                                        invite_token_hash=hash_token(demo_token(secret_key, f"participant:{name}"))))
        else:
            expired = event.day + timedelta(days=participant_days) < today
            if (day and day != event.day) or (day is None and expired):
                await _move(session, event, day or today)
        links = list(await session.scalars(select(RoleLink).where(RoleLink.event_id == event.id)
                                           .order_by(RoleLink.id)))
        people = {p.link_key: p for p in await session.scalars(select(Participant).where(
            Participant.event_id == event.id, Participant.link_key.like("demo:participant:%")))}
        event_day = event.day
    async with db.write() as session:
        if await session.scalar(select(Organiser).where(Organiser.username == ORGANISER)) is None:
            await create_organiser(session, ORGANISER, demo_password(secret_key), with_totp=False)
    now = utcnow()
    participants_until = event_day + timedelta(days=participant_days)
    result = [DemoLink("participants", "Deelnemen met de eventcode", f"/?code={CODE}"),
              DemoLink("organiser", f"Inloggen als '{ORGANISER}' met wachtwoord {demo_password(secret_key)}",
                       f"/organiser/login?next=/e/{SLUG}/organiser")]
    for link in links:
        token = link_token(secret_key, link.link_key, link.version or 1) if link.link_key else ""
        if link.revoked_at is not None or not token or hash_token(token) != link.token_hash:
            result.append(DemoLink(link.role, link.label, "", "revoked or re-issued"))
        elif link.expires_at <= now:
            result.append(DemoLink(link.role, link.label, "", f"expired on {link.expires_at:%Y-%m-%d}"))
        else:
            result.append(DemoLink(link.role, link.label, f"/r/{token}", f"valid until {link.expires_at:%Y-%m-%d}"))
    result.append(DemoLink("presenter", "Presentatiescherm als overlay (na het openen van de link)",
                           f"/e/{SLUG}/presenter?overlay=1"))
    for name, _city, _title in PARTICIPANTS[:3]:
        person = people.get(f"demo:participant:{name}")
        token = link_token(secret_key, person.link_key, person.link_version or 1) if person else ""
        if person is None or person.invite_token_hash is None or hash_token(token) != person.invite_token_hash:
            result.append(DemoLink("participant", name, "", "revoked, re-issued or removed"))
        elif participants_until < now.date():
            result.append(DemoLink("participant", name, "", f"expired on {participants_until}"))
        else:
            result.append(DemoLink("participant", name, f"/j/{token}", f"valid through {participants_until}"))
    return DemoLinks(result, event_day)


async def _move(session: AsyncSession, event: Event, day: date) -> None:
    """Hold the demo on another day: its own role links (not revoked ones) follow."""
    event.day = day
    for link in await session.scalars(select(RoleLink).where(RoleLink.event_id == event.id,
                                                            RoleLink.link_key.like("demo:%"),
                                                            RoleLink.revoked_at.is_(None))):
        link.expires_at = _role_link_expiry(day)
