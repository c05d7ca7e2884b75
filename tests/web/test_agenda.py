"""Blik op 2021 over HTTP and WebSocket: picks (at most three, replaced as a whole, only during the closing part),
proposals (folded into an existing theme when it is the same in other words), hiding and showing by a moderator or
the organiser, themes put ready from the debate's question clusters and the poll's leading answers, the report and
the export, the live ranking on the presenter's screen, and forgetting people."""

from __future__ import annotations

import csv
import html
import io
import zipfile

from tests.conftest import SLUG, query, text_of
from tests.support.web import (
    BASE,
    ERIK,
    FATIMA,
    JAN,
    MODERATOR,
    ORGANISER,
    ask_and_approve,
    open_poll,
    person_id,
    poll_question,
    post,
    receive_until,
    scalar,
    vote,
)

PEOPLE = (ERIK, FATIMA, JAN, MODERATOR, ORGANISER, "presenter:Presentatiescherm")
THEMES = ["Wonen en bouwen", "Jeugdzorg", "Klimaat en energie", "Bereikbaarheid", "Financiële verhoudingen"]
AGENDA = f"/e/{SLUG}/agenda"


# --- helpers ------------------------------------------------------------------------------------------------


def plain(markup: str) -> str:
    """The text of an answer as a reader gets it (tags gone, entities decoded: "thema&#39;s" is "thema's")."""
    return html.unescape(text_of(markup))


def goto(settings, people, kind: str) -> None:
    """The organiser moves the block straight to the part of this kind."""
    part = str(scalar(settings, "SELECT id FROM programme_part WHERE kind = :k", k=kind))
    assert people[ORGANISER].post(f"/e/{SLUG}/phase", {"action": "goto", "part": part}).status_code == 200


def add_themes(settings, people, labels=THEMES) -> dict[str, int]:
    for label in labels:
        response = people[MODERATOR].post(f"{AGENDA}/themes", {"label": label})
        assert response.status_code == 200, response.text
    return theme_ids(settings)


def theme_ids(settings) -> dict[str, int]:
    return dict(query(settings, "SELECT label, id FROM agenda_theme"))


def picks_of(settings, name: str) -> set[str]:
    return {label for (label,) in query(settings, "SELECT t.label FROM agenda_pick p JOIN agenda_theme t ON t.id = p.theme_id "
                                                  "JOIN participant x ON x.id = p.participant_id WHERE x.name = :n", n=name)}


def pick(person, ids) -> object:
    return person.post(f"{AGENDA}/picks", {"theme": [str(i) for i in ids]})


def agenda_rows(settings) -> list[tuple]:
    return query(settings, "SELECT id, label, source, proposed_by, hidden, position FROM agenda_theme ORDER BY id") + \
        query(settings, "SELECT theme_id, participant_id, -1, -1, -1, -1 FROM agenda_pick ORDER BY theme_id, participant_id")


def receive_fragment(ws, fragment_id: str, needle: str, limit: int = 20) -> str:
    """Read pushed messages until the fragment with this id arrives with needle in it (each topic is a message)."""
    for _ in range(limit):
        message = ws.receive_text()
        if f'id="{fragment_id}"' in message and needle in message:
            return message
    raise AssertionError(f"#{fragment_id} with {needle!r} never arrived")


def ranking_section(html: str) -> str:
    return html.split('id="agenda-ranking"', 1)[1].split("</ol>", 1)[0]


# --- picks --------------------------------------------------------------------------------------------------


def test_agenda_picks_are_at_most_three_and_replaced_as_a_whole(settings, people):
    ids = add_themes(settings, people)
    goto(settings, people, "closing")
    erik = people[ERIK]
    first = [ids["Wonen en bouwen"], ids["Jeugdzorg"], ids["Klimaat en energie"]]
    response = pick(erik, first)
    assert response.status_code == 200 and "3 thema's gekozen" in plain(response.text)
    assert picks_of(settings, "Erik van Dijk") == {"Wonen en bouwen", "Jeugdzorg", "Klimaat en energie"}
    # The same picks again: nothing changes.
    assert pick(erik, first).status_code == 200
    # Four: refused, the three that were stored still count, and the form comes back ticked as stored.
    refused = pick(erik, [*first, ids["Bereikbaarheid"]])
    assert refused.status_code == 422 and "hoogstens 3" in plain(refused.text)
    assert f'value="{ids["Bereikbaarheid"]}"' in refused.text and 'hx-swap-oob="true"' in refused.text
    ticked = {i for i in ids.values() if f'value="{i}" checked' in refused.text}
    assert ticked == set(first)
    assert picks_of(settings, "Erik van Dijk") == {"Wonen en bouwen", "Jeugdzorg", "Klimaat en energie"}
    # A new choice replaces the old one as a whole.
    assert pick(erik, [ids["Bereikbaarheid"], ids["Jeugdzorg"]]).status_code == 200
    assert picks_of(settings, "Erik van Dijk") == {"Bereikbaarheid", "Jeugdzorg"}
    # Unknown ids and ids that are no number change nothing either.
    for bad in ([99999], ["x"], [ids["Jeugdzorg"], ids["Jeugdzorg"], "0"]):
        assert erik.post(f"{AGENDA}/picks", {"theme": [str(b) for b in bad]}).status_code == 422
    assert picks_of(settings, "Erik van Dijk") == {"Bereikbaarheid", "Jeugdzorg"}
    # Nothing ticked: no picks.
    assert pick(erik, []).status_code == 200
    assert picks_of(settings, "Erik van Dijk") == set()


def test_agenda_ranking_counts_most_picks_first_ties_in_order_of_arrival(settings, people):
    ids = add_themes(settings, people)
    goto(settings, people, "closing")
    pick(people[ERIK], [ids["Jeugdzorg"], ids["Bereikbaarheid"]])
    pick(people[FATIMA], [ids["Bereikbaarheid"], ids["Klimaat en energie"]])
    pick(people[JAN], [ids["Bereikbaarheid"], ids["Jeugdzorg"]])
    ranking = plain(ranking_section(people[JAN].get(f"/e/{SLUG}").text))
    order = [ranking.index(label) for label in ("Bereikbaarheid", "Jeugdzorg", "Klimaat en energie", "Wonen en bouwen",
                                                 "Financiële verhoudingen")]
    assert order == sorted(order), ranking
    assert "3 keuzes" in ranking and "2 keuzes" in ranking and "1 keuze" in ranking
    presenter = people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text
    board = presenter.split('id="agenda-board"', 1)[1]
    assert board.index("Bereikbaarheid") < board.index("Jeugdzorg") < board.index("Klimaat en energie")
    assert 'data-w="100"' in board and 'data-w="65"' in board  # 3 of 3, 2 of 3 (67 % in steps of 5)
    assert "<strong>3</strong> deelnemers kozen" in board


def test_agenda_is_refused_outside_the_closing_and_nothing_changes(settings, people):
    ids = add_themes(settings, people)  # a moderator may prepare the list in any phase
    before = agenda_rows(settings)
    for phase in (None, "debate", "lunch"):
        if phase:
            goto(settings, people, phase)
        refused = pick(people[ERIK], [ids["Jeugdzorg"]])
        assert refused.status_code == 422
        assert "alleen kiezen en voorstellen terwijl het slot" in plain(refused.text)
        proposal = people[ERIK].post(f"{AGENDA}/propose", {"label": "Veiligheid in de wijk"})
        assert proposal.status_code == 422 and "alleen kiezen en voorstellen" in plain(proposal.text)
        assert 'value="Veiligheid in de wijk"' in proposal.text  # what was typed is kept for later
        assert agenda_rows(settings) == before
    # After the block the closing is over too.
    goto(settings, people, "closing")
    people[ORGANISER].post(f"/e/{SLUG}/phase", {"action": "next"})
    assert pick(people[ERIK], [ids["Jeugdzorg"]]).status_code == 422
    assert agenda_rows(settings) == before
    # The page says what is coming, and shows the form only during the closing (the stylesheet follows the phase).
    page = people[ERIK].get(f"/e/{SLUG}").text
    assert 'id="part-closing"' in page and "agenda-when-closed" in page and 'id="agenda-pick-form"' in page


def test_agenda_needs_a_participant(settings, people, browser):
    ids = add_themes(settings, people)
    goto(settings, people, "closing")
    stranger = browser()
    assert stranger.post(f"{AGENDA}/picks", {"theme": str(ids["Jeugdzorg"])}).status_code == 403
    assert stranger.post(f"{AGENDA}/propose", {"label": "Iets"}).status_code == 403
    assert people[MODERATOR].post(f"{AGENDA}/picks", {"theme": str(ids["Jeugdzorg"])}).status_code == 403
    assert query(settings, "SELECT COUNT(*) FROM agenda_pick") == [(0,)]


# --- proposals ----------------------------------------------------------------------------------------------


def test_agenda_proposals_fold_duplicates_and_count_as_picks(settings, people):
    goto(settings, people, "closing")
    erik, fatima = people[ERIK], people[FATIMA]
    response = erik.post(f"{AGENDA}/propose", {"label": "  Wonen  voor jongeren "})
    assert response.status_code == 200 and "staat op de lijst en telt als een van uw keuzes" in plain(response.text)
    assert 'id="agenda-proposal"' in response.text and 'value=""' in response.text  # the text box is empty again
    erik_id = person_id(settings, "Erik van Dijk")
    assert query(settings, "SELECT label, source, proposed_by FROM agenda_theme") == [
        ("Wonen voor jongeren", "participant", erik_id)]
    assert picks_of(settings, "Erik van Dijk") == {"Wonen voor jongeren"}
    # The same theme in other words (case, accents, punctuation): no second theme, a pick of the first.
    folded = fatima.post(f"{AGENDA}/propose", {"label": "wónen voor JONGEREN!"})
    assert folded.status_code == 200 and "Wonen voor jongeren" in plain(folded.text)
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_theme") == 1
    assert picks_of(settings, "Fatima Bouzid") == {"Wonen voor jongeren"}
    again = fatima.post(f"{AGENDA}/propose", {"label": "Wonen voor jongeren"})
    assert again.status_code == 200 and "al gekozen" in plain(again.text)
    # Too short, too long, or only punctuation: refused.
    for label in ("ab", "x" * 81, "?!…", ""):
        assert erik.post(f"{AGENDA}/propose", {"label": label}).status_code == 422, label
    # At most two proposals each; a folded one does not count as one.
    assert erik.post(f"{AGENDA}/propose", {"label": "Zorg dichtbij"}).status_code == 200
    third = erik.post(f"{AGENDA}/propose", {"label": "Cultuur in de regio"})
    assert third.status_code == 422 and "al 2 thema's voorgesteld" in plain(third.text)
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_theme WHERE proposed_by = :p", p=erik_id) == 2
    # A proposal still folds into a pick after that, and a proposer with three picks gets no fourth.
    assert fatima.post(f"{AGENDA}/propose", {"label": "zorg dichtbij"}).status_code == 200
    assert fatima.post(f"{AGENDA}/propose", {"label": "Veilige wijken"}).status_code == 200
    assert picks_of(settings, "Fatima Bouzid") == {"Wonen voor jongeren", "Zorg dichtbij", "Veilige wijken"}
    full = fatima.post(f"{AGENDA}/propose", {"label": "Digitale overheid"})
    assert full.status_code == 200 and "geen keuze meer over" in plain(full.text)
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_theme") == 4
    assert len(picks_of(settings, "Fatima Bouzid")) == 3


# --- hiding and showing -------------------------------------------------------------------------------------


def test_agenda_a_moderator_hides_and_shows_a_theme_and_a_participant_cannot(settings, people):
    ids = add_themes(settings, people)
    goto(settings, people, "closing")
    jeugdzorg = ids["Jeugdzorg"]
    pick(people[ERIK], [jeugdzorg, ids["Wonen en bouwen"]])
    # A participant may not hide (nor add): refused, nothing changes.
    before = agenda_rows(settings)
    assert people[ERIK].post(f"{AGENDA}/themes/{jeugdzorg}", {"action": "hide"}).status_code == 403
    assert people[ERIK].post(f"{AGENDA}/themes", {"label": "Eigen thema"}).status_code == 403
    assert agenda_rows(settings) == before
    hidden = people[MODERATOR].post(f"{AGENDA}/themes/{jeugdzorg}", {"action": "hide"})
    assert hidden.status_code == 200 and "Verborgen: Jeugdzorg" in plain(hidden.text)
    assert scalar(settings, "SELECT hidden FROM agenda_theme WHERE id = :t", t=jeugdzorg) in (1, True)
    assert picks_of(settings, "Erik van Dijk") == {"Wonen en bouwen"}  # its picks no longer count
    assert "Jeugdzorg" not in people[FATIMA].get(f"/e/{SLUG}").text
    assert "Jeugdzorg" not in people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text
    assert "Jeugdzorg" in people[MODERATOR].get(f"/e/{SLUG}/moderator").text  # the moderator still sees it
    assert pick(people[FATIMA], [jeugdzorg]).status_code == 422
    assert people[FATIMA].post(f"{AGENDA}/propose", {"label": "jeugdzorg"}).status_code == 422
    assert people[MODERATOR].post(f"{AGENDA}/themes", {"label": "JEUGDZORG"}).status_code == 422
    # Hiding twice is hiding once; then the organiser shows it again, without picks.
    assert people[MODERATOR].post(f"{AGENDA}/themes/{jeugdzorg}", {"action": "hide"}).status_code == 200
    assert people[ORGANISER].post(f"{AGENDA}/themes/{jeugdzorg}", {"action": "show"}).status_code == 200
    assert "Jeugdzorg" in ranking_section(people[FATIMA].get(f"/e/{SLUG}").text)
    assert pick(people[FATIMA], [jeugdzorg]).status_code == 200
    # An unknown action or theme is refused.
    assert people[MODERATOR].post(f"{AGENDA}/themes/{jeugdzorg}", {"action": "delete"}).status_code == 422
    assert people[MODERATOR].post(f"{AGENDA}/themes/99999", {"action": "hide"}).status_code == 422
    assert people[MODERATOR].post(f"{AGENDA}/themes", {"label": "Wonen en bouwen"}).status_code == 422


# --- seeding from the debate and the poll -------------------------------------------------------------------


DEBATE = ["Hoe lossen we het tekort in de jeugdzorg op?", "Wat doet het Rijk aan het tekort bij de jeugdzorg?",
          "Jeugdzorg: wie betaalt het tekort van de gemeenten?"]


def test_agenda_themes_are_put_ready_from_question_clusters_and_poll_answers(settings, people):
    for who, body in zip((ERIK, FATIMA, JAN), DEBATE, strict=True):
        ask_and_approve(settings, people, who, body)
    ask_and_approve(settings, people, ERIK, "Hoe staat het met de woningbouw in de binnenstad van Zwolle?")
    people[ERIK].post(f"/e/{SLUG}/questions", {"body": "Een vraag over klimaatadaptatie die niet gepubliceerd is",
                                               "key": ""})
    people[FATIMA].post(f"/e/{SLUG}/questions", {"body": "Nog een vraag over klimaatadaptatie, ook niet gepubliceerd",
                                                 "key": ""})
    single, options = poll_question(settings, 1)  # "Beter", "Even goed", ...: an answer that needs its question
    open_poll(people, single)
    for who, option in ((ERIK, 1), (FATIMA, 1), (JAN, 0)):
        assert vote(people[who], single, option=str(options[option])).status_code == 200
    several, several_options = poll_question(settings, 2)  # "Wat mist u online het meest?"
    open_poll(people, several)
    for who, option in ((ERIK, 0), (FATIMA, 0), (JAN, 2)):
        assert vote(people[who], several, option=str(several_options[option])).status_code == 200
    words, _ = poll_question(settings, 4)
    open_poll(people, words)  # closes the first
    for who, word in ((ERIK, "Efficiënt"), (FATIMA, "efficiënt"), (JAN, "gezellig")):
        assert vote(people[who], words, text=word).status_code == 200
    draft, draft_options = poll_question(settings, 5)  # never opened: no themes from it
    seeded = people[ORGANISER].post(f"{BASE}/agenda/seed")
    assert seeded.status_code == 200, seeded.text
    rows = query(settings, "SELECT label, source FROM agenda_theme ORDER BY position")
    debate = [label for label, source in rows if source == "debate"]
    poll = [label for label, source in rows if source == "poll"]
    assert len(debate) == 1 and "jeugdzorg" in debate[0].lower() and "tekort" in debate[0].lower(), rows
    assert not any("woningbouw" in label.lower() or "klimaat" in label.lower() for label in debate)
    # The leading answer of the multiple choice, the leading word as typed; nothing from the single choice.
    assert poll == ["Het informele gesprek bij de lunch", "Efficiënt"], rows
    assert f"{len(rows)} thema's uit het debat en de peiling" in plain(seeded.text)
    # Again: nothing new (idempotent), and a hidden theme stays hidden.
    hidden = scalar(settings, "SELECT id FROM agenda_theme WHERE label = 'Efficiënt'")
    people[MODERATOR].post(f"{AGENDA}/themes/{hidden}", {"action": "hide"})
    again = people[ORGANISER].post(f"{BASE}/agenda/seed")
    assert again.status_code == 200 and "Geen nieuwe thema's" in plain(again.text)
    assert query(settings, "SELECT label, source FROM agenda_theme ORDER BY position") == rows
    assert scalar(settings, "SELECT hidden FROM agenda_theme WHERE id = :t", t=hidden) in (1, True)
    # Only the organiser puts themes ready.
    assert people[MODERATOR].post(f"{BASE}/agenda/seed").status_code == 403
    assert 'action="/e/netwerkdag-4-december/organiser/agenda/seed"' in people[ORGANISER].get(f"/e/{SLUG}/organiser").text
    del draft, draft_options


# --- the report and the export ------------------------------------------------------------------------------


def test_agenda_report_and_export_include_the_ranking(settings, people):
    ids = add_themes(settings, people)
    goto(settings, people, "closing")
    pick(people[ERIK], [ids["Jeugdzorg"], ids["Bereikbaarheid"]])
    pick(people[FATIMA], [ids["Bereikbaarheid"]])
    people[MODERATOR].post(f"{AGENDA}/themes/{ids['Wonen en bouwen']}", {"action": "hide"})
    report = people[ORGANISER].get(f"{BASE}/report")
    assert report.status_code == 200
    section = plain(report.text.split('id="report-agenda">', 1)[1])
    assert section.startswith("Blik op 2021") and "2 deelnemers kozen" in section
    assert section.index("Bereikbaarheid (2 keuzes)") < section.index("Jeugdzorg (1 keuze)") < section.index("Klimaat")
    assert "Wonen en bouwen" not in section  # hidden
    archive = zipfile.ZipFile(io.BytesIO(people[ORGANISER].get(f"{BASE}/export.zip").content))
    rows = list(csv.reader(io.StringIO(archive.read("agenda.csv").decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["theme", "source", "picks", "hidden"]
    assert rows[1] == ["Bereikbaarheid", "organiser", "2", "0"] and rows[2] == ["Jeugdzorg", "organiser", "1", "0"]
    assert ["Wonen en bouwen", "organiser", "0", "1"] in rows
    assert len(rows) == 1 + len(THEMES)


# --- live ---------------------------------------------------------------------------------------------------


def test_agenda_a_pick_reaches_the_presenter_and_the_moderator_live(settings, people):
    ids = add_themes(settings, people, ["Jeugdzorg", "Bereikbaarheid"])
    goto(settings, people, "closing")
    presenter, moderator = people["presenter:Presentatiescherm"], people[MODERATOR]
    with presenter.websocket(f"/ws/presenter/{SLUG}") as screen, moderator.websocket(f"/ws/moderator/{SLUG}") as console, \
            people[FATIMA].websocket(f"/ws/participant/{SLUG}") as phone:
        snapshot = receive_until(screen, 'id="agenda-board"')
        assert "Jeugdzorg" in snapshot and "<strong>0</strong>" in snapshot
        receive_until(console, 'id="agenda-control"')
        receive_until(phone, 'id="agenda-mine"')
        assert pick(people[ERIK], [ids["Bereikbaarheid"]]).status_code == 200
        pushed = receive_until(screen, "<strong>1</strong> deelnemer koos")
        board = pushed.split('id="agenda-board"', 1)[1]
        assert board.index("Bereikbaarheid") < board.index("Jeugdzorg") and 'data-w="100"' in board
        assert 'hx-swap-oob="outerMorph"' in pushed
        receive_until(console, "<strong>1</strong> deelnemer koos")
        # A theme proposed by someone else appears in Fatima's own form, unticked.
        assert people[JAN].post(f"{AGENDA}/propose", {"label": "Schone lucht"}).status_code == 200
        form = receive_fragment(phone, "agenda-mine", "Schone lucht")
        new = scalar(settings, "SELECT id FROM agenda_theme WHERE label = 'Schone lucht'")
        assert f'value="{new}">' in form and f'value="{new}" checked' not in form


# --- forgetting people --------------------------------------------------------------------------------------


def test_agenda_forget_and_purge_remove_picks_and_keep_the_themes(settings, people):
    ids = add_themes(settings, people, ["Jeugdzorg"])
    goto(settings, people, "closing")
    people[ERIK].post(f"{AGENDA}/propose", {"label": "Wonen voor jongeren"})
    pick(people[FATIMA], [ids["Jeugdzorg"]])
    pick(people[JAN], [ids["Jeugdzorg"]])
    erik = person_id(settings, "Erik van Dijk")
    assert post(people[ORGANISER], f"{BASE}/participants/{erik}", {"delete": "1"}).status_code == 303
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_pick WHERE participant_id = :p", p=erik) == 0
    assert query(settings, "SELECT label, proposed_by FROM agenda_theme WHERE source = 'participant'") == [
        ("Wonen voor jongeren", None)]
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_pick") == 2
    assert post(people[ORGANISER], f"{BASE}/purge", {"confirm": "G40DEC", "early": "1"}).status_code == 200
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_pick") == 0
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_theme") == 2
    assert scalar(settings, "SELECT COUNT(*) FROM agenda_theme WHERE proposed_by IS NOT NULL") == 0
