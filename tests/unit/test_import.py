"""Importing participants from CSV as organisers really save it: Excel's ";" with a BOM, ",", tabs, cp1252,
quoted cells, and the broken files (wrong delimiter, no header, unknown cities, duplicates, junk), from the corpus
in import_corpus/. Problems come per line as the spreadsheet numbers them, and nothing is ok unless all is."""

from __future__ import annotations

import csv
import io
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.events.municipalities import G40_CITIES
from app.organiser import importing
from app.organiser.importing import ImportProblem, ImportResult, ImportRow, clean, normalise, parse_participants

CORPUS = Path(__file__).parent / "import_corpus"
# As in the brief: {name: index}. Alkmaar gets id 0, which catches any `if municipality_id:` slip.
MUNICIPALITIES = {name: index for index, name in enumerate(G40_CITIES)}


def city(name: str) -> int:
    return MUNICIPALITIES[name]


def parse(source: str | bytes, **kwargs: object) -> ImportResult:
    data = (CORPUS / source).read_bytes() if isinstance(source, str) else source
    result = parse_participants(data, MUNICIPALITIES, **kwargs)  # type: ignore[arg-type]
    for problem in result.problems:  # every problem can be shown: the placeholders and params agree
        text = problem.message % problem.params
        assert text.startswith("Line ") == (problem.line is not None), text
        if problem.line is not None:
            assert problem.params["line"] == problem.line
    return result


def only_problem(result: ImportResult) -> ImportProblem:
    assert not result.ok and not result.rows
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def lines(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in result.problems]


# --- good files ------------------------------------------------------------------------------------------


def test_excel_utf8_bom_semicolon_file():
    result = parse("good_utf8_bom_semicolon.csv")
    assert result.ok, result.problems
    assert (result.encoding, result.delimiter) == ("utf-8-sig", ";")
    assert result.ignored_columns == ["Opmerking"]
    assert result.rows == [
        ImportRow(2, "Jan Jansen", city("Breda"), "", "Wethouder", "jan.jansen@breda.nl", "Wonen"),
        ImportRow(3, "Zoë de Wit", city("'s-Hertogenbosch"), "", "Beleidsadviseur", "", "Energietransitie"),
        ImportRow(4, "Piet Bakker", city("Sittard-Geleen"), "", "Raadslid", "p.bakker@sittard-geleen.nl", ""),
        # line 5 is Excel's empty row ";;;;;": skipped, but still counted as the sheet counts it
        ImportRow(6, "Fatima El Amrani", None, "VNG", "Adviseur", "f.elamrani@vng.nl", "Wonen"),
    ]


def test_comma_file_with_english_header():
    result = parse("good_comma.csv")
    assert result.ok, result.problems
    assert (result.encoding, result.delimiter) == ("utf-8", ",")
    assert [(r.name, r.municipality_id, r.organisation) for r in result.rows] == [
        ("Vries, Jan de", city("Groningen"), ""),
        ("Anna Smit", city("Zwolle"), ""),
        ("Kees Hoek", None, "Ministerie van BZK"),
    ]
    assert result.rows[0].topic == "Housing" and result.rows[2].role_title == "Advisor"


def test_tab_file():
    result = parse("good_tab.tsv")
    assert result.ok, result.problems
    assert result.delimiter == "\t"
    assert [(r.name, r.municipality_id, r.role_title) for r in result.rows] == [
        ("Eva Mulder", city("Alphen aan den Rijn"), "Programmamanager"),
        ("Sem Visser", city("Haarlemmermeer"), "Wethouder, Sociaal Domein"),
    ]


def test_cp1252_file_from_excel_on_windows():
    result = parse("cp1252_accents.csv")
    assert result.ok, result.problems
    assert result.encoding == "cp1252"
    assert [(r.name, r.role_title, r.organisation) for r in result.rows] == [
        ("Zoë Jansen", "Financiële adviseur", ""),
        ("José Smit", "Beleidsmedewerker – Wonen", ""),  # the en dash is cp1252's 0x96, not latin-1
        ("Anaïs Kramer", "Gedeputeerde", "Provincie Fryslân"),
    ]


def test_latin1_when_not_even_cp1252():
    # 0x81 is undefined in cp1252; latin-1 reads it (as a control character, which cleaning drops)
    result = parse("Naam;Gemeente\nJos\x81 Financi\xeble;Breda\n".encode("latin-1"))
    assert result.ok and result.encoding == "latin-1"
    assert result.rows[0].name == "Jos Financiële"


def test_excel_unicode_text_is_utf16_with_tabs():
    result = parse("Naam\tGemeente\r\nZoë Jansen\tTilburg\r\n".encode("utf-16"))
    assert result.ok and (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert result.rows[0].name == "Zoë Jansen"


def test_quoted_cells_with_delimiter_quotes_and_line_breaks():
    result = parse("quoted_embedded.csv")
    assert result.ok, result.problems
    assert result.rows == [
        ImportRow(2, "Jansen; Jan", city("Breda"), "", "Wethouder Sociaal Domein", "", "Wonen"),
        # the cell above spans two lines of text but is one row of the sheet: this is line 3
        ImportRow(3, 'Piet "PB" Bakker', city("Zwolle"), "", "Raadslid", "", "Zorg; Jeugd"),
    ]


# --- broken files ----------------------------------------------------------------------------------------


def test_wrong_delimiter_reports_the_missing_columns():
    problem = only_problem(parse("wrong_delimiter_pipe.csv"))
    assert (problem.line, problem.message) == (None, importing.MISSING_COLUMNS)
    assert problem.params == {"columns": "naam/name, gemeente/municipality"}


def test_missing_header():
    problem = only_problem(parse("missing_header.csv"))
    assert problem.message == importing.MISSING_COLUMNS and problem.line is None


def test_missing_required_column():
    problem = only_problem(parse("missing_municipality_column.csv"))
    assert problem.message == importing.MISSING_COLUMNS
    assert problem.params == {"columns": "gemeente/municipality"}


def test_two_columns_for_the_same_field():
    problem = only_problem(parse(b"Naam;Gemeente;Organisatie\nJan;Breda;Gemeente Breda\n"))
    assert problem.message == importing.DUPLICATE_COLUMN
    assert problem.params == {"first": "Gemeente", "second": "Organisatie"}


def test_unknown_municipality():
    result = parse("unknown_municipality.csv")
    assert not result.ok
    assert lines(result) == [(3, importing.UNKNOWN_MUNICIPALITY), (4, importing.UNKNOWN_MUNICIPALITY)]
    assert result.problems[0].params["value"] == "Den Bosch"
    long_value = result.problems[1].params["value"]
    assert isinstance(long_value, str) and len(long_value) == 40 and long_value.endswith("…")
    # the good rows are still there for a preview, "Gemeente Zwolle" included
    assert [(r.line, r.municipality_id) for r in result.rows] == [(2, city("Breda")), (5, city("Zwolle"))]


def test_bad_email():
    result = parse("bad_email.csv")
    assert lines(result) == [(n, importing.BAD_EMAIL) for n in (2, 3, 4, 5)]
    assert [p.params["value"] for p in result.problems] == [
        "jan.at.breda.nl", "piet@zwolle", "anna@@leiden.nl", "06-12345678",
    ]
    assert [r.email for r in result.rows] == ["eva.mulder@ede.nl"]


def test_overlong_name():
    result = parse("overlong_name.csv")
    assert lines(result) == [(2, importing.NAME_TOO_LONG)]
    assert result.problems[0].params["max"] == 80
    assert [(r.line, len(r.name)) for r in result.rows] == [(3, 80)]


def test_duplicate_in_file():
    result = parse("duplicate_in_file.csv")
    assert lines(result) == [(4, importing.DUPLICATE_IN_FILE)]  # case and spaces do not make another person
    assert result.problems[0].params == {"line": 4, "name": "jan jansen", "place": "Breda", "first": 2}
    # the same name in another city is another person
    assert [(r.line, r.municipality_id) for r in result.rows] == [(2, city("Breda")), (3, city("Zwolle")),
                                                                  (5, city("Zwolle"))]


def test_duplicate_against_existing_participants():
    existing = {(normalise("Jan Jansen"), normalise("Breda")), ("fatima el amrani", "vng")}
    result = parse("good_utf8_bom_semicolon.csv", existing=existing)
    assert lines(result) == [(2, importing.ALREADY_PARTICIPANT), (6, importing.ALREADY_PARTICIPANT)]
    assert result.problems[1].params == {"line": 6, "name": "Fatima El Amrani", "place": "VNG"}
    # raw values work as well: the set is normalised again, which changes nothing already normalised
    again = parse("good_utf8_bom_semicolon.csv", existing={("ZOË DE WIT", "’s-Hertogenbosch")})
    assert lines(again) == [(3, importing.ALREADY_PARTICIPANT)]


def test_too_many_values_on_a_line():
    result = parse("too_many_values.csv")
    assert lines(result) == [(2, importing.TOO_MANY_VALUES)]
    assert result.problems[0].params == {"line": 2, "count": 4, "columns": 3}
    assert [r.line for r in result.rows] == [3]  # trailing empty cells are Excel's, not a problem


def test_unclosed_quote_does_not_swallow_the_file_silently():
    result = parse(b'Naam;Gemeente\nJan;Breda\n"Piet;Zwolle\nAnna;Leiden\n')
    assert lines(result) == [(3, importing.UNCLOSED_QUOTE)]
    assert [r.line for r in result.rows] == [2]


def test_runaway_value_over_the_csv_field_limit():
    result = parse(b'Naam;Gemeente\nJan;Breda\n"' + b"x" * 200_000 + b"\n")
    assert (3, importing.UNREADABLE) in lines(result) and not result.ok
    first = parse(b'"' + b"x" * 200_000 + b"\n")
    assert lines(first) == [(1, importing.UNREADABLE)] and not first.ok


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n\t\n", b";;;\r\n;;;\r\n"])
def test_empty_file(data: bytes):
    problem = only_problem(parse(data))
    assert (problem.line, problem.message) == (None, importing.EMPTY)


def test_empty_file_from_the_corpus():
    assert only_problem(parse("empty.csv")).message == importing.EMPTY


def test_header_without_rows():
    assert only_problem(parse(b"Naam;Gemeente\r\n;\r\n")).message == importing.NO_ROWS


def test_binary_junk():
    problem = only_problem(parse("binary_junk.bin"))
    assert (problem.line, problem.message) == (None, importing.NOT_TEXT)


def test_control_characters_without_nul_are_junk_too():
    assert only_problem(parse(bytes(range(1, 32)) * 40)).message == importing.NOT_TEXT


@pytest.mark.parametrize("magic", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_excel_workbook_instead_of_csv(magic: bytes):
    assert only_problem(parse(magic + b"\x00" * 100)).message == importing.WORKBOOK


# --- one row at a time -----------------------------------------------------------------------------------


def one(row: str, header: str = "Naam;Gemeente;Functie;E-mail;Onderwerp") -> ImportResult:
    return parse(f"{header}\n{row}\n".encode())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sittard-Geleen", "Sittard-Geleen"),
        ("sittard-geleen", "Sittard-Geleen"),
        ("SITTARD–GELEEN", "Sittard-Geleen"),  # en dash from Word's autocorrect
        ("'s-Hertogenbosch", "'s-Hertogenbosch"),
        ("’s-hertogenbosch", "'s-Hertogenbosch"),  # curly apostrophe
        ("s-Hertogenbosch", "'s-Hertogenbosch"),  # Excel drops a leading apostrophe from the cell
        ("  alphen   AAN den rijn ", "Alphen aan den Rijn"),
        ("Gemeente Ede", "Ede"),
        ("Alkmaar", "Alkmaar"),
    ],
)
def test_municipality_matches_without_case_accents_or_spacing(value: str, expected: str):
    result = one(f"Jan;{value};;;")
    assert result.ok, result.problems
    assert result.rows[0].municipality_id == city(expected) and result.rows[0].organisation == ""


@pytest.mark.parametrize("value", ["Den Bosch", "Sittard", "Amsterdam", "Andersen", "Gemeente"])
def test_municipality_not_in_the_list(value: str):
    result = one(f"Jan;{value};;;")
    assert lines(result) == [(2, importing.UNKNOWN_MUNICIPALITY)]
    assert result.problems[0].params["value"] == value


@pytest.mark.parametrize(
    ("value", "organisation"),
    [("anders: VNG", "VNG"), ("Anders:VNG", "VNG"), ("OTHER :  Rijkswaterstaat  Oost ", "Rijkswaterstaat Oost"),
     ("anders: Breda", "Breda")],
)
def test_other_organisation(value: str, organisation: str):
    result = one(f"Jan;{value};;;")
    assert result.ok, result.problems
    assert (result.rows[0].municipality_id, result.rows[0].organisation) == (None, organisation)


@pytest.mark.parametrize(("value", "prefix"), [("anders:", "anders:"), ("Anders", "anders:"), ("other:  ", "other:")])
def test_other_without_an_organisation(value: str, prefix: str):
    result = one(f"Jan;{value};;;")
    assert lines(result) == [(2, importing.ORGANISATION_MISSING)]
    assert result.problems[0].params["prefix"] == prefix


def test_field_lengths_and_missing_values():
    assert lines(one(f"Jan;anders: {'O' * 81};;;")) == [(2, importing.ORGANISATION_TOO_LONG)]
    assert lines(one(f"Jan;Breda;{'R' * 81};;")) == [(2, importing.ROLE_TOO_LONG)]
    assert lines(one(f"Jan;Breda;;;{'T' * 121}")) == [(2, importing.TOPIC_TOO_LONG)]
    assert one(f"Jan;Breda;{'R' * 80};;{'T' * 120}").ok
    assert lines(one(";Breda;Wethouder;;")) == [(2, importing.NAME_MISSING)]
    assert lines(one("Jan;;Wethouder;;")) == [(2, importing.MUNICIPALITY_MISSING)]
    long_email = "a" * 64 + "@" + "b" * 186 + ".nl"  # 253 characters
    assert one(f"Jan;Breda;;{long_email};").ok
    assert lines(one(f"Jan;Breda;;x{long_email};")) == [(2, importing.BAD_EMAIL)]  # 254 is fine,
    assert lines(one(f"Jan;Breda;;xx{long_email};")) == [(2, importing.BAD_EMAIL)]  # and over that it is not


def test_several_problems_on_one_line_and_in_sheet_order():
    result = parse(b"Naam;Gemeente;E-mail\n;Nergens;geen\nJan;Breda;\n\n;;\nPiet;Atlantis;\n")
    assert lines(result) == [
        (2, importing.NAME_MISSING), (2, importing.UNKNOWN_MUNICIPALITY), (2, importing.BAD_EMAIL),
        (6, importing.UNKNOWN_MUNICIPALITY),
    ]
    assert not result.ok and [r.line for r in result.rows] == [3]


def test_names_are_cleaned():
    result = one("  Jan \u200b  de\u202e  Vries\x07 ;Breda;;;")
    assert result.rows[0].name == "Jan de Vries"


@pytest.mark.parametrize(
    "header",
    ["naam;gemeente;functie;e-mail;onderwerp", " NAME ; Municipality ; Role ; Email ; Topic ",
     "Naam;Organisatie;Rol;E-mailadres;Voorkeur", "Name;Organisation;Function;Mail;Topic",
     '"Naam";"Gemeente";"Functie";"E-mail";"Onderwerp"'],
)
def test_header_aliases(header: str):
    result = one("Jan;Breda;Wethouder;jan@breda.nl;Wonen", header=header)
    assert result.rows == [ImportRow(2, "Jan", city("Breda"), "", "Wethouder", "jan@breda.nl", "Wonen")]


def test_columns_in_any_order_and_optional_ones_left_out():
    result = parse(b"E-mail,Opmerking,Gemeente,Naam\njan@breda.nl,komt later,Breda,Jan\n")
    assert result.rows == [ImportRow(2, "Jan", city("Breda"), "", "", "jan@breda.nl", "")]
    assert result.ignored_columns == ["Opmerking"]


def test_header_after_blank_lines_keeps_sheet_numbering():
    result = parse(b"\n;;\nNaam;Gemeente\nJan;Atlantis\n")
    assert lines(result) == [(4, importing.UNKNOWN_MUNICIPALITY)]


def test_the_module_is_pure():
    code = ("import sys, app.organiser.importing; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'app') "
            "or m in ('starlette.requests', 'starlette.routing', 'starlette.applications')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['app', 'app.core', 'app.core.input', 'app.i18n', 'app.organiser', 'app.organiser.importing']"


# --- size ------------------------------------------------------------------------------------------------


def big_file(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Naam", "Gemeente", "Functie", "E-mail", "Onderwerp"])
    for i in range(n):
        place = rng.choice(G40_CITIES) if i % 10 else f"anders: Organisatie {i % 7}"
        writer.writerow([f"Deelnemer {i} Éénmaal", place, "Beleidsadviseur", f"deelnemer{i}@example.nl", "Wonen"])
    return out.getvalue().encode("utf-8-sig")


def test_ten_thousand_rows_import_fast():
    data = big_file(10_000)
    started = time.perf_counter()
    result = parse_participants(data, MUNICIPALITIES)
    elapsed = time.perf_counter() - started
    assert result.ok, result.problems[:3]
    assert len(result.rows) == 10_000 and result.rows[-1].line == 10_001
    assert elapsed < 1.0, f"{elapsed:.2f}s"


def test_one_row_too_many_is_one_problem():
    problem = only_problem(parse(big_file(10_001)))
    assert (problem.line, problem.message, problem.params) == (None, importing.TOO_MANY_ROWS, {"max": 10_000})


def test_max_rows_counts_participants_not_blank_lines():
    data = b"Naam;Gemeente\n" + b"Jan;Breda\n\n;\nPiet;Zwolle\n"
    assert parse(data, max_rows=2).ok
    assert only_problem(parse(data, max_rows=1)).params == {"max": 1}


# --- properties ------------------------------------------------------------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")
HEADERS = (
    ("Naam", "Gemeente", "Functie", "E-mail", "Onderwerp"),
    ("name", "municipality", "role", "email", "topic"),
    ("NAAM", "Organisatie", "Rol", "Mail", "Voorkeur"),
)


def texts(encoding: str, max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Values as they come out of cleaning (so they must come back unchanged), writable in `encoding`."""
    chars = st.characters(categories=("L", "N", "P", "S"), include_characters=" ",
                          codec="cp1252" if encoding == "cp1252" else None)
    return st.text(chars, max_size=max_size).map(clean).filter(lambda s: min_size <= len(s) <= max_size)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[str, str, tuple[str, ...], list[tuple]]:
    encoding = draw(st.sampled_from(ENCODINGS))
    delimiter = draw(st.sampled_from((";", ",", "\t")))
    header = draw(st.sampled_from(HEADERS))
    emails = st.one_of(st.just(""), st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True))
    city_cell = st.tuples(st.sampled_from(G40_CITIES), st.sampled_from((str, str.upper, str.lower))).map(
        lambda c: (c[1](c[0]), MUNICIPALITIES[c[0]], "", c[0])
    )
    other_cell = st.tuples(st.sampled_from(("anders: ", "other:", "Anders : ")), texts(encoding, 80, 1)).map(
        lambda o: (o[0] + o[1], None, o[1], o[1])
    )
    row = st.tuples(texts(encoding, 80, 1), st.one_of(city_cell, other_cell), texts(encoding, 80), emails,
                    texts(encoding, 120))
    rows = draw(st.lists(row, min_size=1, max_size=25, unique_by=lambda r: (normalise(r[0]), normalise(r[1][3]))))
    return encoding, delimiter, header, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(sheets())
def test_valid_rows_come_back_exactly(sheet: tuple[str, str, tuple[str, ...], list[tuple]]):
    encoding, delimiter, header, rows = sheet
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for name, (cell, _, _, _), role, email, topic in rows:
        writer.writerow([name, cell, role, email, topic])
    data = out.getvalue().encode(encoding)
    if encoding == "cp1252":  # a cp1252 file that happens to be valid UTF-8 ("Ã©") is read as UTF-8, rightly
        assume(data.isascii() or not is_utf8(data))
    result = parse(data)
    assert result.problems == []
    assert result.delimiter == delimiter
    assert result.encoding == ("utf-8" if encoding == "cp1252" and data.isascii() else encoding)
    assert result.rows == [
        ImportRow(line, name, municipality_id, organisation, role, email, topic)
        for line, (name, (_, municipality_id, organisation, _), role, email, topic) in enumerate(rows, start=2)
    ]


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=3000),
                 st.lists(st.sampled_from(list(';,\t"\n\r \'xé:@.\x00\x0b') + ["Naam", "Gemeente", "Breda", "anders:"]),
                          max_size=200).map(lambda t: ("Naam;Gemeente\n" + "".join(t)).encode())))
def test_any_bytes_give_a_result_never_an_exception(data: bytes):
    result = parse(data)
    assert result.ok == (not result.problems and bool(result.rows))
    if result.ok:
        assert all(1 <= len(r.name) <= 80 and (r.municipality_id is None) == bool(r.organisation) for r in result.rows)
