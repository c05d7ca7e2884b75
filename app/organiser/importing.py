"""Reading a participant list from a CSV file, as Excel saves it, into checked rows or problems per line.

Pure: bytes in, a result out, no web or database access. The upload route saves the rows only when the result
has no problems at all (never a partial import), and the odd files organisers really upload are easy to test.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from app.i18n import N_

# The column sizes of Participant (app/events/models.py); longer values would fail at the database instead.
NAME_MAX = 80
ORGANISATION_MAX = 80
ROLE_MAX = 80
EMAIL_MAX = 254
TOPIC_MAX = 120
EXCERPT_MAX = 40  # a quoted value in a message: enough to find it in the sheet, short enough for one line
DELIMITERS = (";", ",", "\t")  # in order of preference on a tie: Dutch Excel saves with ";"

# Problems. English source strings, translated where they are shown; params fill the %(...)s placeholders.
EMPTY = N_("The file is empty.")
WORKBOOK = N_("This is an Excel workbook, not a CSV file. In Excel, choose Save as, pick CSV and upload that file.")
NOT_TEXT = N_("This is not a text (CSV) file.")
MISSING_COLUMNS = N_("The first line must name the columns. Missing: %(columns)s.")
DUPLICATE_COLUMN = N_("The columns %(first)s and %(second)s mean the same; keep one of them.")
NO_ROWS = N_("There are no participants below the first line.")
TOO_MANY_ROWS = N_("The file has more than %(max)s participants. Split it into smaller files.")
UNREADABLE = N_("Line %(line)s: this line cannot be read; a value is too long or a quotation mark is misplaced.")
UNCLOSED_QUOTE = N_("Line %(line)s: a quotation mark opens here but is never closed.")
TOO_MANY_VALUES = N_("Line %(line)s: %(count)s values, but the first line names only %(columns)s columns.")
NAME_MISSING = N_("Line %(line)s: the name is missing.")
NAME_TOO_LONG = N_("Line %(line)s: the name is longer than %(max)s characters.")
MUNICIPALITY_MISSING = N_("Line %(line)s: the municipality is missing.")
UNKNOWN_MUNICIPALITY = N_("Line %(line)s: unknown municipality %(value)s")
ORGANISATION_MISSING = N_("Line %(line)s: fill in the organisation after %(prefix)s")
ORGANISATION_TOO_LONG = N_("Line %(line)s: the organisation is longer than %(max)s characters.")
ROLE_TOO_LONG = N_("Line %(line)s: the role is longer than %(max)s characters.")
TOPIC_TOO_LONG = N_("Line %(line)s: the topic is longer than %(max)s characters.")
BAD_EMAIL = N_("Line %(line)s: %(value)s is not an e-mail address.")
DUPLICATE_IN_FILE = N_("Line %(line)s: %(name)s (%(place)s) is also on line %(first)s.")
ALREADY_PARTICIPANT = N_("Line %(line)s: %(name)s (%(place)s) is already a participant.")

# Header names after _header_key (lower case, no accents, letters and digits only), Dutch and English.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("naam", "name", "volledigenaam", "fullname"),
    "municipality": ("gemeente", "municipality", "organisatie", "organisation", "organization"),
    "role_title": ("functie", "function", "rol", "role", "functietitel", "jobtitle"),
    "email": ("email", "mail", "emailadres", "mailadres", "emailaddress"),
    "topic": ("onderwerp", "topic", "voorkeur", "voorkeursonderwerp"),
}
REQUIRED = ("name", "municipality")
# A missing column is named as a header that works, in both languages: the message itself is translated,
# the organiser's sheet may be in either.
REQUIRED_LABELS = {"name": "naam/name", "municipality": "gemeente/municipality"}
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}

# Same characters as app.events.service.CONTROL (not imported: that module pulls in SQLAlchemy).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Control characters that never occur in a text file (tab, CR and LF do), to recognise binary junk.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JUNK_SHARE = 0.1  # real lists have none; random bytes decode to ~13-25% of them
# Typographic apostrophes and dashes (Word and Excel autocorrect) compare as the plain ones.
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "`": "'", "\u00b4": "'",
                       "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_OTHER = re.compile(r"(anders|other)\s*(?::(.*))?", re.IGNORECASE | re.DOTALL)
# One @, no spaces, a domain of at least two non-empty labels. Deliberately loose: the invitation bounces
# if it is wrong, this only catches a name or a phone number in the e-mail column.
_EMAIL = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]+")


@dataclass
class ImportRow:
    line: int  # as the spreadsheet shows it: the header is line 1
    name: str
    municipality_id: int | None
    organisation: str  # set only when the municipality column said "anders: ..." / "other: ..."
    role_title: str
    email: str
    topic: str


@dataclass
class ImportProblem:
    line: int | None  # None: about the whole file (encoding, header, size)
    message: str  # an N_() string; translate, then fill in params
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[ImportRow]  # the rows that passed, also when others did not (for a preview); save only if ok
    problems: list[ImportProblem]
    encoding: str  # a Python codec name: utf-8, utf-8-sig (with BOM), utf-16, cp1252, latin-1; "" if unread
    delimiter: str  # ";", "," or "\t"; "" if the file was rejected before the header
    ignored_columns: list[str] = field(default_factory=list)  # header cells that are not a known column

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


class _Rejected(Exception):
    """The file as a whole cannot be read; carries the one problem to report."""

    def __init__(self, problem: ImportProblem, encoding: str = "") -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.encoding = encoding


def clean(value: str) -> str:
    """As app.events.service.clean_text, without its cut-off: NFC, no control characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", value)
    return " ".join(_CONTROL.sub("", text).split())


def normalise(value: str) -> str:
    """The form two values are compared in: cleaned, case-folded, no accents, plain apostrophes and dashes.

    Build `existing` for parse_participants with it: {(normalise(p.name), normalise(p.place)), ...}."""
    text = clean(value).translate(_FOLD).casefold()
    if not text.isascii():  # the common case skips the per-character work
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def _place_key(value: str) -> str:
    # Excel treats a leading apostrophe as "this cell is text" and drops it, so 's-Hertogenbosch typed in a cell
    # is saved as s-Hertogenbosch; compare without it.
    return normalise(value).lstrip("'")


def _header_key(value: str) -> str:
    return "".join(c for c in normalise(value.replace("\ufeff", "")) if c.isalnum())


def _excerpt(value: str) -> str:
    return value if len(value) <= EXCERPT_MAX else value[: EXCERPT_MAX - 1] + "…"


def _reporter(found: list[ImportProblem], line: int) -> Callable[..., None]:
    """Adds a problem about one line to `found`; every per-line message starts with that line's number."""

    def problem(message: str, **params: object) -> None:
        found.append(ImportProblem(line, message, {"line": line, **params}))

    return problem


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the codec that read it: UTF-8 (with or without BOM), else Excel-on-Windows cp1252, else
    latin-1 (which reads any bytes). UTF-16 with a BOM is Excel's "Unicode text" and is read as well."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Rejected(ImportProblem(None, WORKBOOK))  # .xlsx (a zip) or the old .xls: a common mix-up
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _Rejected(ImportProblem(None, NOT_TEXT)) from None
    if b"\x00" in data:
        raise _Rejected(ImportProblem(None, NOT_TEXT))
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
        return data.decode("latin-1"), "latin-1"


def _sniff(text: str) -> str:
    """The delimiter that makes the first non-empty line the best header: most known columns, then most cells."""
    line = next((ln for ln in text.splitlines() if ln.strip(' \t;,"')), "")

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:  # a header over csv's field limit is no header; the full read below reports it
            return 0, 0
        return len({_ALIASES[k] for k in map(_header_key, cells) if k in _ALIASES}), len(cells)

    return max(DELIMITERS, key=score)  # max keeps the first of equals, hence the order of DELIMITERS


def parse_participants(
    data: bytes,
    municipalities: dict[str, int],
    existing: AbstractSet[tuple[str, str]] = frozenset(),
    max_rows: int = 10_000,
) -> ImportResult:
    """Read and check a participant list. `municipalities` maps each name to its id; `existing` holds
    (normalise(name), normalise(municipality name or organisation)) of those already in the event."""
    try:
        text, encoding = _decode(data)
    except _Rejected as rejected:
        return ImportResult([], [rejected.problem], rejected.encoding, "")
    if not text.strip():
        return ImportResult([], [ImportProblem(None, EMPTY)], encoding, "")
    if len(_JUNK.findall(text)) > _JUNK_SHARE * len(text):
        return ImportResult([], [ImportProblem(None, NOT_TEXT)], encoding, "")
    delimiter = _sniff(text)

    def rejected(problem: ImportProblem) -> ImportResult:
        return ImportResult([], [problem], encoding, delimiter)

    # Read the records first, numbered as the spreadsheet numbers its rows: a blank row counts (Excel shows
    # it), a quoted value spanning lines does not (it is one cell). Stop early on a file that is too long.
    records: list[tuple[int, list[str]]] = []
    problems: list[ImportProblem] = []
    line = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            line += 1
            if any(cell.strip() for cell in record):  # Excel saves an empty row as ";;;"
                records.append((line, record))
                if len(records) > max_rows + 1:  # the header plus max_rows participants
                    return rejected(ImportProblem(None, TOO_MANY_ROWS, {"max": max_rows}))
    except csv.Error:  # a field over csv's size limit, mostly: a runaway quote in a very long file
        problems.append(ImportProblem(line + 1, UNREADABLE, {"line": line + 1}))
    else:
        # A quote that is never closed swallows the rest of the file into one last value with line breaks
        # (csv does not complain); an odd number of quotes overall tells it from a real multi-line cell.
        if len(records) > 1 and text.count('"') % 2 and any("\n" in c or "\r" in c for c in records[-1][1]):
            last_line, _ = records.pop()
            problems.append(ImportProblem(last_line, UNCLOSED_QUOTE, {"line": last_line}))
    if not records:  # nothing but blank rows, or the very first row could not be read
        return rejected(problems[0] if problems else ImportProblem(None, EMPTY))

    # The header: every required column once; unknown columns are left alone (organisers keep notes there).
    _, header = records[0]
    columns: dict[str, int] = {}
    ignored: list[str] = []
    header_problems: list[ImportProblem] = []
    for index, cell in enumerate(header):
        column = _ALIASES.get(_header_key(cell))
        if column is None:
            if clean(cell):
                ignored.append(clean(cell))
        elif column in columns:
            first = clean(header[columns[column]].replace("\ufeff", ""))
            header_problems.append(ImportProblem(None, DUPLICATE_COLUMN, {"first": first, "second": clean(cell)}))
        else:
            columns[column] = index
    missing = [REQUIRED_LABELS[c] for c in REQUIRED if c not in columns]
    if missing:
        header_problems.insert(0, ImportProblem(None, MISSING_COLUMNS, {"columns": ", ".join(missing)}))
    if header_problems:
        return ImportResult([], header_problems, encoding, delimiter, ignored)
    if len(records) == 1 and not problems:
        return ImportResult([], [ImportProblem(None, NO_ROWS)], encoding, delimiter, ignored)

    lookup = {_place_key(name): (mid, name) for name, mid in municipalities.items()}
    resolved: dict[str, tuple[int, str] | None] = {}  # most rows repeat a few dozen cities

    def municipality(value: str) -> tuple[int, str] | None:
        if value not in resolved:
            key = _place_key(value)
            hit = lookup.get(key)
            if hit is None and key.startswith("gemeente "):  # "Gemeente Breda" is how many write it
                hit = lookup.get(key.removeprefix("gemeente ").lstrip("'"))
            resolved[value] = hit
        return resolved[value]

    known = {(normalise(name), normalise(place)) for name, place in existing}
    seen: dict[tuple[str, str], int] = {}
    width = len(header)
    rows: list[ImportRow] = []

    def cell(record: list[str], column: str) -> str:
        index = columns.get(column)
        return clean(record[index]) if index is not None and index < len(record) else ""

    for line, record in records[1:]:
        if len(record) > width and any(c.strip() for c in record[width:]):
            # Trailing empty cells are Excel's doing; a value beyond the header usually means an unquoted
            # delimiter inside a name, which shifts every later column: report only this.
            problems.append(ImportProblem(line, TOO_MANY_VALUES, {"line": line, "count": len(record), "columns": width}))
            continue
        found: list[ImportProblem] = []
        problem = _reporter(found, line)

        name = cell(record, "name")
        if not name:
            problem(NAME_MISSING)
        elif len(name) > NAME_MAX:
            problem(NAME_TOO_LONG, max=NAME_MAX)

        place_value = cell(record, "municipality")
        municipality_id: int | None = None
        organisation = place = ""
        other = _OTHER.fullmatch(place_value)
        if not place_value:
            problem(MUNICIPALITY_MISSING)
        elif other:
            organisation = clean(other.group(2) or "")
            if not organisation:
                problem(ORGANISATION_MISSING, prefix=f"{other.group(1).lower()}:")
            elif len(organisation) > ORGANISATION_MAX:
                problem(ORGANISATION_TOO_LONG, max=ORGANISATION_MAX)
            place = organisation
        elif (hit := municipality(place_value)) is not None:
            municipality_id, place = hit
        else:
            problem(UNKNOWN_MUNICIPALITY, value=_excerpt(place_value))

        role_title = cell(record, "role_title")
        if len(role_title) > ROLE_MAX:
            problem(ROLE_TOO_LONG, max=ROLE_MAX)
        email = cell(record, "email")
        if email and (len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email)):
            problem(BAD_EMAIL, value=_excerpt(email))
        topic = cell(record, "topic")
        if len(topic) > TOPIC_MAX:
            problem(TOPIC_TOO_LONG, max=TOPIC_MAX)

        if not found:  # only a valid row can be a duplicate; its first line is where a fix is expected
            key = (normalise(name), normalise(place))
            if key in seen:
                problem(DUPLICATE_IN_FILE, name=name, place=place, first=seen[key])
            elif key in known:
                problem(ALREADY_PARTICIPANT, name=name, place=place)
            else:
                seen[key] = line
        if found:
            problems.extend(found)
        else:
            rows.append(ImportRow(line, name, municipality_id, organisation, role_title, email, topic))
    problems.sort(key=lambda p: p.line or 0)  # stable: in sheet order, as the organiser will fix them
    return ImportResult(rows, problems, encoding, delimiter, ignored)
