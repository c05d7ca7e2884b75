"""After the event: an export of everything (CSV files in one zip), a printable one-page report, and the purge
that removes all personal data after the retention period while keeping anonymous tallies."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.agenda import fragments as agenda_fragments
from app.agenda import service as agenda
from app.core.csv import csv_text
from app.core.input import InvalidInput
from app.core.web import answers_with_status, status_message
from app.db import Database, utcnow
from app.events.models import Event
from app.events.service import event_by_id
from app.i18n import N_, ngettext
from app.organiser import service
from app.organiser.routes import _event
from app.polls import charts
from app.polls import service as polls
from app.polls.models import PollStatus
from app.questions import service as questions
from app.questions.models import QuestionStatus
from app.tables import service as tables
from app.templating import templates

RETENTION_DAYS = 30



async def export_files(session: AsyncSession, event: Event) -> dict[str, bytes]:
    views = await questions.moderation_queue(session, event.id, reveal_anonymous=False)
    question_rows = [["id", "status", "votes", "question", "original", "asker", "municipality", "anonymous",
                      "received", "answered"]]
    for v in views:
        q = v.question
        question_rows.append([q.id, q.status, v.votes, q.body, q.original_body, v.asker, v.place,
                              int(q.anonymous), q.created_at.isoformat(timespec="seconds"),
                              q.answered_at.isoformat(timespec="seconds") if q.answered_at else ""])
    poll_rows = [["question", "type", "voters", "answer", "count", "percent"]]
    for question in await polls.questions(session, event.id):
        tally = await polls.tally(session, question)
        for answer, count in tally.rows() or tally.words or [(b.text, 1) for b in tally.answers] or [("", 0)]:
            poll_rows.append([question.prompt, question.kind, tally.voters, answer, count, tally.percent(count)])
        if tally.mean is not None:
            poll_rows.append([question.prompt, question.kind, tally.voters, "mean", round(tally.mean, 2), ""])
    overview = await tables.overview(session, event.id, published=True)
    seating_rows = [["table", "host", "topic", "guest", "municipality", "opened the video link"]]
    for table in overview.tables:
        for person, seat in overview.members.get(table.id, []):
            seating_rows.append([table.name, table.host_name, table.topic, person.name, person.place,
                                 int(seat.opened_at is not None)])
    agenda_rows = [["theme", "source", "picks", "hidden"]]
    for ranked in await agenda.ranking(session, event.id, include_hidden=True):
        agenda_rows.append([ranked.theme.label, ranked.theme.source, ranked.picks, int(ranked.theme.hidden)])
    files = {"vragen.csv": question_rows, "peiling.csv": poll_rows, "tafels.csv": seating_rows,
             "agenda.csv": agenda_rows}
    return {name: csv_text(rows).encode() for name, rows in files.items()}


async def export_zip(request: Request) -> Response:
    event = await _event(request)
    async with request.app.state.db.read() as session:
        files = await export_files(session, event)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="samen-{event.slug}.zip"'})


async def report(request: Request) -> Response:
    """One printable page: the poll's charts and tables, the questions answered on air, and the closing part's
    ranking of themes."""
    event = await _event(request)
    async with request.app.state.db.read() as session:
        event = await event_by_id(session, event.id)
        results = []
        for question in await polls.questions(session, event.id):
            if question.status == PollStatus.DRAFT:
                continue
            tally = await polls.tally(session, question)
            results.append({"question": question, "tally": tally, "figure": charts.figure(tally)})
        public = await questions.public_questions(session, event.id)
        counters = await questions.counters(session, event.id)
        ranked = await agenda.ranking(session, event.id)
        pickers = await agenda.pickers(session, event.id)
    answered = [v for v in public if v.question.status == QuestionStatus.ANSWERED]
    return templates.TemplateResponse(request, "organiser/report.html", {
        "event": event, "results": results, "answered": answered, "counters": counters, "uses_charts": True,
        "presenter": True, "summary": True, "agenda_ranking": ranked, "agenda_pickers": pickers,
        "agenda_title": agenda_fragments.closing_title(event)})


async def afterwards_page(request: Request) -> Response:
    event = await _event(request)
    return templates.TemplateResponse(request, "organiser/afterwards.html", {
        "event": event, "nav": "afterwards", "retention_days": RETENTION_DAYS,
        "purge_from": event.day + timedelta(days=RETENTION_DAYS)})


@answers_with_status
async def purge(request: Request) -> Response:
    event = await _event(request)
    data = await request.form()
    if str(data.get("confirm", "")).strip().upper() != event.code:
        raise InvalidInput({"confirm": N_("Type the event code to confirm.")})
    if event.day + timedelta(days=RETENTION_DAYS) > utcnow().date() and data.get("early") != "1":
        raise InvalidInput({"confirm": N_("The retention period has not ended yet. Tick the box to purge early.")})
    async with request.app.state.db.write() as session:
        removed = await service.purge_event(session, event.id)
    hub = request.app.state.hub
    for participant_id in removed.pop("ids"):  # their open pages close at once
        await hub.kick(f"participant:{participant_id}")
    for link_id in removed.pop("link_ids"):
        await hub.kick(f"link:{link_id}")
    return status_message(request, ngettext("Personal data removed: %(num)s participant.",
                                            "Personal data removed: %(num)s participants.", removed["participants"]))


async def purge_due(db: Database, days: int = RETENTION_DAYS, slug: str | None = None) -> list[tuple[str, dict]]:
    """`samen purge`: every event whose retention period has ended (or one named event)."""
    done = []
    async with db.write() as session:
        query = select(Event).where(Event.purged_at.is_(None))
        if slug:
            query = query.where(Event.slug == slug)
        for event in list(await session.scalars(query)):
            if slug or event.day + timedelta(days=days) <= utcnow().date():
                done.append((event.slug, await service.purge_event(session, event.id)))
    return done


routes = [
    Route("/e/{slug}/organiser/afterwards", afterwards_page),
    Route("/e/{slug}/organiser/export.zip", export_zip),
    Route("/e/{slug}/organiser/report", report),
    Route("/e/{slug}/organiser/purge", purge, methods=["POST"]),
]
