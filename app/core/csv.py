"""CSV exports as spreadsheets open them: UTF-8 with a BOM (Excel guesses the encoding otherwise), formulas
neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from starlette.responses import Response


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them in CSV exports."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[Iterable[object]], delimiter: str = ";") -> str:
    """The rows as CSV text with a BOM; every text cell is made spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
    return "\ufeff" + out.getvalue()


def csv_response(rows: Iterable[Iterable[object]], filename: str, delimiter: str = ";") -> Response:
    return Response(csv_text(rows, delimiter), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
