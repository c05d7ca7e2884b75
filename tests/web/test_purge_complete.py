"""The retention purge leaves no personal data in ANY table: every table is taken from the SQLAlchemy metadata, so a
table (or a text column in a personal table) added later fails this test until someone decides what the purge
does with it.

After a day with everything in it (questions, an anonymous one, upvotes, poll votes, an invitation, a published
seating, an import waiting for confirmation, a participant with e-mail and job title, one who joined with the event
code) the purge from the organiser's console (the same ``purge_event`` that ``samen purge`` runs) must leave:

- no row at all in the tables that are about people;
- no reference to a participant or a role link in any column of any table (found from the foreign keys);
- the kept, anonymous rows (questions, ballots, lunch tables) without their person;
- none of the identifying values that were stored before (names, e-mail addresses, organisations, job titles,
  token hashes and link keys, host names, the import's rows) in any cell of any table.
"""

from __future__ import annotations

import json

from app.models import metadata
from app.security import new_token
from tests.conftest import SLUG, query
from tests.support.web import BASE, ERIK, FATIMA, JAN, MODERATOR, ORGANISER, busy_day, municipality_id, person_id, post

PEOPLE = (ORGANISER, ERIK, FATIMA, JAN, MODERATOR)  # the cast of busy_day()

# Rows about people: none may be left.
PERSONAL = {"participant", "role_link", "seat", "invitation", "question_vote", "import_batch", "agenda_pick"}
# Kept for the anonymous results, with the person removed: these columns must be empty afterwards.
ANONYMISED = {
    "question": {"participant_id": None},  # the question stays, without its asker
    "poll_ballot": {"participant_id": None},  # the vote stays in the tally, without its voter
    "lunch_table": {"host_name": "", "host_link_id": None, "host_municipality_id": None},
    "agenda_theme": {"proposed_by": None},  # a theme a participant proposed stays on the agenda, without them
}
# No personal data by design (the value search below still looks into every one of them).
NOT_PERSONAL = {
    "event", "programme_part", "municipality", "poll_question", "poll_option", "poll_choice", "poll_hidden_word",
    "seating_round",  # the seating engine's figures (counts), no ids or names
    "organiser",  # the organisers' own accounts: not data of the event's people, and they outlive one event
    "throttle_count",  # HMAC pseudonyms of an address or browser id, tied to no event; forgotten after a day
}
# The text columns of the personal tables that identify someone: their values are searched for afterwards. Every
# other text column of a personal table must be listed in NOT_IDENTIFYING, with the reason.
IDENTIFYING = {
    "participant": {"name", "email", "organisation", "role_title", "invite_token_hash", "join_key", "link_key"},
    "role_link": {"label", "token_hash", "link_key"},
    "import_batch": {"rows"},  # JSON: the fields below, per line
}
NOT_IDENTIFYING = {
    ("participant", "topic"),  # one of the lunch tables' topics, which stay (the table is gone, so is the choice)
    ("role_link", "role"),  # "moderator", "host", …
    ("invitation", "status"),  # "pending", "ready", …
}
IMPORT_FIELDS = ("name", "organisation", "role_title", "email")
SHORTEST = 4  # shorter values (e.g. an organisation "VNG") could match by chance anywhere


def is_text(column) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


def references_a_person(column) -> bool:
    return any(fk.column.table.name in ("participant", "role_link") for fk in column.foreign_keys)


def identifying_values(settings) -> set[str]:
    values: set[str] = set()
    for table, columns in IDENTIFYING.items():
        for row in query(settings, f"SELECT {', '.join(sorted(columns))} FROM {table}"):
            for column, value in zip(sorted(columns), row, strict=True):
                if table == "import_batch" and column == "rows":
                    values.update(str(line[f]) for line in json.loads(value) for f in IMPORT_FIELDS if line[f])
                elif value:
                    values.add(str(value))
    values.update(name for (name,) in query(settings, "SELECT host_name FROM lunch_table") if name)
    return {v for v in values if len(v) >= SHORTEST}


def every_cell(settings) -> dict[str, list[str]]:
    return {name: [str(cell) for row in query(settings, f"SELECT * FROM {name}") for cell in row if cell is not None]
            for name in sorted(metadata.tables)}


def test_every_table_has_a_purge_policy_and_every_personal_text_column_is_classified() -> None:
    classified = PERSONAL | set(ANONYMISED) | NOT_PERSONAL
    assert not PERSONAL & set(ANONYMISED) and not PERSONAL & NOT_PERSONAL and not set(ANONYMISED) & NOT_PERSONAL
    unclassified = sorted(set(metadata.tables) - classified)
    assert unclassified == [], f"decide what the purge does with {unclassified} (and add it here)"
    for name in PERSONAL:
        texts = {c.name for c in metadata.tables[name].columns if is_text(c)}
        undecided = texts - IDENTIFYING.get(name, set()) - {c for t, c in NOT_IDENTIFYING if t == name}
        assert undecided == set(), f"{name}: is {sorted(undecided)} identifying? Add it to IDENTIFYING or NOT_IDENTIFYING"
    for name, columns in ANONYMISED.items():
        assert set(columns) <= {c.name for c in metadata.tables[name].columns}, name


def test_purge_leaves_no_personal_data_in_any_table(settings, demo, browser, people):
    organiser = people[ORGANISER]
    busy_day(settings, people)
    erik = person_id(settings, "Erik van Dijk")
    assert post(organiser, f"{BASE}/participants/{erik}", {
        "name": "Erik van Dijk", "municipality": str(municipality_id(settings, "Nijmegen")), "email": "erik@nijmegen.nl",
        "role_title": "Burgemeester van Nijmegen"}).status_code == 303
    joined = browser().post("/join", {"code": "G40DEC", "name": "Chris Codevoorbeeld", "municipality": "other",
                                      "organisation": "Stichting Voorbeeld", "join_key": new_token()},
                            follow_redirects=False)
    assert joined.status_code == 303
    assert people[ERIK].get(f"/e/{SLUG}").status_code == 200
    # The closing part's agenda: Erik proposes a theme (which counts as his pick).
    closing = query(settings, "SELECT id FROM programme_part WHERE kind = 'closing'")[0][0]
    assert organiser.post(f"/e/{SLUG}/phase", {"action": "goto", "part": str(closing)}).status_code == 200
    assert people[ERIK].post(f"/e/{SLUG}/agenda/propose", {"label": "Wonen voor jongeren"}).status_code == 200

    # There is something to remove everywhere this test looks (otherwise it proves nothing).
    for name in PERSONAL:
        assert query(settings, f"SELECT COUNT(*) FROM {name}")[0][0] > 0, name
    for name, columns in ANONYMISED.items():
        for column, empty in columns.items():
            assert query(settings, f"SELECT COUNT(*) FROM {name} WHERE {column} IS NOT NULL AND {column} != :e",
                         e=empty if empty is not None else -1)[0][0] > 0, (name, column)
    personal = identifying_values(settings)
    for value in ("Erik van Dijk", "erik@nijmegen.nl", "Burgemeester van Nijmegen", "Chris Codevoorbeeld",
                  "Stichting Voorbeeld", "Anna Nieuw", "anna@example.nl", "Annemiek de Vries"):
        assert value in personal, value
    before = every_cell(settings)
    assert all(any(value in cell for cells in before.values() for cell in cells) for value in personal)

    # From the console; `samen purge` (purge_due) runs the same purge_event for every event past its retention.
    assert post(organiser, f"{BASE}/purge", {"confirm": "G40DEC", "early": "1"}).status_code == 200
    assert query(settings, "SELECT purged_at FROM event")[0][0] is not None

    for name in PERSONAL:
        assert query(settings, f"SELECT COUNT(*) FROM {name}") == [(0,)], name
    for name, table in sorted(metadata.tables.items()):
        for column in table.columns:
            if references_a_person(column):
                left = query(settings, f"SELECT COUNT(*) FROM {name} WHERE {column.name} IS NOT NULL")[0][0]
                assert left == 0, f"{name}.{column.name} still points at {left} person(s)"
    for name, columns in ANONYMISED.items():
        for column, empty in columns.items():
            values = {row[0] for row in query(settings, f"SELECT DISTINCT {column} FROM {name}")}
            assert values <= {empty}, (name, column, values)
    after = every_cell(settings)
    leaks = sorted({(name, value) for name, cells in after.items() for cell in cells for value in personal
                    if value in cell})
    assert leaks == [], leaks
    # What stays is what the purge promises to keep: the anonymous results.
    assert all(after[name] for name in ("question", "poll_ballot", "poll_choice", "lunch_table"))
