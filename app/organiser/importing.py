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

from app.core.input import EMAIL_MAX, NAME_MAX, ORGANISATION_MAX, ROLE_MAX, TOPIC_MAX
from app.i18n import N_

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
        text, encoding = _read_text(data)
    except _Rejected as rejected:
        return ImportResult([], [rejected.problem], rejected.encoding, "")
    delimiter = _sniff(text)
    try:
        records, problems = _read_records(text, delimiter, max_rows)
    except _Rejected as rejected:
        return ImportResult([], [rejected.problem], encoding, delimiter)
    header = _map_header(records[0][1])
    if header.problems:
        return ImportResult([], header.problems, encoding, delimiter, header.ignored)
    if len(records) == 1 and not problems:
        return ImportResult([], [ImportProblem(None, NO_ROWS)], encoding, delimiter, header.ignored)
    rows = _RowChecker(header, municipalities, existing).check_all(records[1:], problems)
    problems.sort(key=lambda p: p.line or 0)  # stable: in sheet order, as the organiser will fix them
    return ImportResult(rows, problems, encoding, delimiter, header.ignored)


def _read_text(data: bytes) -> tuple[str, str]:
    """The decoded text and its codec; rejects a file with nothing in it or that is no text at all."""
    text, encoding = _decode(data)
    if not text.strip():
        raise _Rejected(ImportProblem(None, EMPTY), encoding)
    if len(_JUNK.findall(text)) > _JUNK_SHARE * len(text):
        raise _Rejected(ImportProblem(None, NOT_TEXT), encoding)
    return text, encoding


def _read_records(text: str, delimiter: str, max_rows: int) -> tuple[list[tuple[int, list[str]]], list[ImportProblem]]:
    """The non-blank records with their line numbers, and the problems met reading them; rejects a file that is
    too long or has no readable record at all.

    Numbered as the spreadsheet numbers its rows: a blank row counts (Excel shows it), a quoted value spanning
    lines does not (it is one cell). Stops early on a file that is too long."""
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
                    raise _Rejected(ImportProblem(None, TOO_MANY_ROWS, {"max": max_rows}))
    except csv.Error:  # a field over csv's size limit, mostly: a runaway quote in a very long file
        problems.append(ImportProblem(line + 1, UNREADABLE, {"line": line + 1}))
    else:
        problems.extend(_unclosed_quote(text, records))
    if not records:  # nothing but blank rows, or the very first row could not be read
        raise _Rejected(problems[0] if problems else ImportProblem(None, EMPTY))
    return records, problems


def _unclosed_quote(text: str, records: list[tuple[int, list[str]]]) -> list[ImportProblem]:
    """Drops the last record if it is the rest of the file swallowed by a quote that never closes.

    csv does not complain about such a quote: it reads everything after it as one last value with line breaks.
    An odd number of quotes overall tells it from a real multi-line cell."""
    if len(records) > 1 and text.count('"') % 2 and any("\n" in c or "\r" in c for c in records[-1][1]):
        last_line, _ = records.pop()
        return [ImportProblem(last_line, UNCLOSED_QUOTE, {"line": last_line})]
    return []


@dataclass
class _Header:
    columns: dict[str, int]  # known column -> its index in a record
    ignored: list[str]  # header cells that are not a known column
    problems: list[ImportProblem]
    width: int  # the number of header cells, blank ones included


def _map_header(header: list[str]) -> _Header:
    """The header: every required column once; unknown columns are left alone (organisers keep notes there)."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[ImportProblem] = []
    for index, cell in enumerate(header):
        column = _ALIASES.get(_header_key(cell))
        if column is None:
            if clean(cell):
                ignored.append(clean(cell))
        elif column in columns:
            first = clean(header[columns[column]].replace("\ufeff", ""))
            problems.append(ImportProblem(None, DUPLICATE_COLUMN, {"first": first, "second": clean(cell)}))
        else:
            columns[column] = index
    missing = [REQUIRED_LABELS[c] for c in REQUIRED if c not in columns]
    if missing:
        problems.insert(0, ImportProblem(None, MISSING_COLUMNS, {"columns": ", ".join(missing)}))
    return _Header(columns, ignored, problems, len(header))


# --- the checks of one row, one per column; `problem` reports about the row's line (see _reporter) ----------


def _check_name(name: str, problem: Callable[..., None]) -> None:
    if not name:
        problem(NAME_MISSING)
    elif len(name) > NAME_MAX:
        problem(NAME_TOO_LONG, max=NAME_MAX)


def _check_organisation(other: re.Match[str], problem: Callable[..., None]) -> str:
    """The organisation after "anders:" / "other:", reported if it is missing or too long."""
    organisation = clean(other.group(2) or "")
    if not organisation:
        problem(ORGANISATION_MISSING, prefix=f"{other.group(1).lower()}:")
    elif len(organisation) > ORGANISATION_MAX:
        problem(ORGANISATION_TOO_LONG, max=ORGANISATION_MAX)
    return organisation


def _check_length(value: str, limit: int, message: str, problem: Callable[..., None]) -> None:
    if len(value) > limit:
        problem(message, max=limit)


def _check_email(email: str, problem: Callable[..., None]) -> None:
    if email and (len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email)):
        problem(BAD_EMAIL, value=_excerpt(email))


class _RowChecker:
    """Checks the rows below the header in sheet order, remembering the earlier ones to find duplicates."""

    def __init__(self, header: _Header, municipalities: dict[str, int], existing: AbstractSet[tuple[str, str]]) -> None:
        self.columns = header.columns
        self.width = header.width
        self.lookup = {_place_key(name): (mid, name) for name, mid in municipalities.items()}
        self.resolved: dict[str, tuple[int, str] | None] = {}  # most rows repeat a few dozen cities
        self.known = {(normalise(name), normalise(place)) for name, place in existing}
        self.seen: dict[tuple[str, str], int] = {}  # (name, place) as compared -> the line it was first on

    def check_all(self, records: list[tuple[int, list[str]]], problems: list[ImportProblem]) -> list[ImportRow]:
        """The rows that pass; the problems of the others are added to `problems`."""
        rows = (self.check(line, record, problems) for line, record in records)
        return [row for row in rows if row is not None]

    def check(self, line: int, record: list[str], problems: list[ImportProblem]) -> ImportRow | None:
        """The row, or None after adding its problems to `problems`."""
        if len(record) > self.width and any(c.strip() for c in record[self.width:]):
            # Trailing empty cells are Excel's doing; a value beyond the header usually means an unquoted
            # delimiter inside a name, which shifts every later column: report only this.
            problems.append(ImportProblem(line, TOO_MANY_VALUES, {"line": line, "count": len(record), "columns": self.width}))
            return None
        found: list[ImportProblem] = []
        problem = _reporter(found, line)
        name = self.cell(record, "name")
        _check_name(name, problem)
        municipality_id, organisation, place = self.place(self.cell(record, "municipality"), problem)
        role_title = self.cell(record, "role_title")
        _check_length(role_title, ROLE_MAX, ROLE_TOO_LONG, problem)
        email = self.cell(record, "email")
        _check_email(email, problem)
        topic = self.cell(record, "topic")
        _check_length(topic, TOPIC_MAX, TOPIC_TOO_LONG, problem)
        if not found:  # only a valid row can be a duplicate; its first line is where a fix is expected
            self.check_duplicate(line, name, place, problem)
        if found:
            problems.extend(found)
            return None
        return ImportRow(line, name, municipality_id, organisation, role_title, email, topic)

    def cell(self, record: list[str], column: str) -> str:
        index = self.columns.get(column)
        return clean(record[index]) if index is not None and index < len(record) else ""

    def place(self, value: str, problem: Callable[..., None]) -> tuple[int | None, str, str]:
        """(municipality id, organisation, the place compared for duplicates) from the municipality column."""
        if not value:
            problem(MUNICIPALITY_MISSING)
            return None, "", ""
        other = _OTHER.fullmatch(value)
        if other:
            organisation = _check_organisation(other, problem)
            return None, organisation, organisation
        hit = self.municipality(value)
        if hit is None:
            problem(UNKNOWN_MUNICIPALITY, value=_excerpt(value))
            return None, "", ""
        return hit[0], "", hit[1]

    def municipality(self, value: str) -> tuple[int, str] | None:
        """(id, name) of the municipality written as `value`, or None if there is no such municipality."""
        if value not in self.resolved:
            key = _place_key(value)
            hit = self.lookup.get(key)
            if hit is None and key.startswith("gemeente "):  # "Gemeente Breda" is how many write it
                hit = self.lookup.get(key.removeprefix("gemeente ").lstrip("'"))
            self.resolved[value] = hit
        return self.resolved[value]

    def check_duplicate(self, line: int, name: str, place: str, problem: Callable[..., None]) -> None:
        key = (normalise(name), normalise(place))
        if key in self.seen:
            problem(DUPLICATE_IN_FILE, name=name, place=place, first=self.seen[key])
        elif key in self.known:
            problem(ALREADY_PARTICIPANT, name=name, place=place)
        else:
            self.seen[key] = line
