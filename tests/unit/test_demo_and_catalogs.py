"""The demo event is idempotent and follows the letter; the catalogs are complete and compiled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.db import Database
from app.demo import create_demo
from tests.conftest import SECRET, query, run

ROOT = Path(__file__).resolve().parents[2]


def test_demo_is_idempotent_and_carries_the_real_programme(settings):
    async def twice() -> tuple[list, list]:
        db = Database(settings.database_url)
        try:
            return await create_demo(db, SECRET), await create_demo(db, SECRET)
        finally:
            await db.dispose()

    first, second = run(twice())
    assert [link.path for link in first] == [link.path for link in second]  # the same links every start
    counts = {t: query(settings, f"SELECT COUNT(*) FROM {t}")[0][0]
              for t in ("event", "programme_part", "participant", "role_link", "lunch_table", "poll_question")}
    assert counts["event"] == 1 and counts["programme_part"] == 4
    assert counts["lunch_table"] == 6 and counts["poll_question"] >= 5
    parts = query(settings, "SELECT title, starts_at, ends_at FROM programme_part ORDER BY position")
    assert parts == [("Het G40Gesprek", "11:30", "12:15"), ("Digitaal netwerken", "12:15", "12:45"),
                     ("Interactieve netwerklunch", "12:45", "13:15"), ("Blik op 2021", "13:15", "13:30")]
    assert query(settings, "SELECT COUNT(*) FROM municipality")[0][0] >= 40
    # only hashes of tokens are stored
    stored = {row[0] for row in query(settings, "SELECT token_hash FROM role_link")}
    assert not any(link.path.rsplit("/", 1)[-1] in stored for link in first)


def extracted_ids() -> set[str]:
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_ui_string_has_a_dutch_translation():
    with open(ROOT / "app/locale/nl/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string
                  and not m.fuzzy}
    missing = extracted_ids() - translated
    assert not missing, f"untranslated (run the catalog commands in docs/translations.md): {sorted(missing)}"


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_compiled_catalogs_match_their_sources(locale):
    base = ROOT / f"app/locale/{locale}/LC_MESSAGES/messages"
    def entries(catalog) -> dict:
        as_key = lambda value: value if isinstance(value, str) else tuple(value)  # noqa: E731 (plurals)
        return {as_key(m.id): as_key(m.string) for m in catalog if m.id and any(as_key(m.string)) and not m.fuzzy}

    with open(f"{base}.po", "rb") as f:
        po = entries(read_po(f))
    with open(f"{base}.mo", "rb") as f:
        mo = entries(read_mo(io.BytesIO(f.read())))
    stale = {key for key, value in po.items() if mo.get(key) != value}
    assert not stale, f"run: pybabel compile -d app/locale ({len(stale)} entries differ)"


def test_no_user_facing_strings_hide_outside_the_catalog():
    # Templates speak through _(): no bare Dutch words typed straight into the shared layout.
    base = (ROOT / "templates/layout/base.html").read_text()
    for word in ("Deelnemen", "Privacyverklaring", "Toegankelijkheid"):
        assert word not in base
