"""Plotly figures, built on the server and sent as JSON; the browser only calls Plotly.react.

One figure per question kind: bars for choices, a distribution for scales, a word cloud for words. Each comes in
three variants: for the participants' pages (light, a fixed height), and for the presenter's beamer (dark), full
size ("stage") or as one cell of the overall picture ("cell").

A figure whose layout has ``meta.fit = [width, height]`` was designed for a box of that size: its font sizes and
margins are in pixels of that box, and static/js/charts.js multiplies them by how much bigger or smaller the
chart really is (the same figure stays readable at 1280x720 and at 3840x2160)."""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from html import escape

from app.i18n import gettext
from app.polls.models import CHOICE_KINDS, PollKind
from app.polls.service import Tally

BLUE, GREEN = "#154273", "#2e6b0a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

# The presenter screen is dark (#0b2a4a, --blue-deep): white text (14:1), light bars (7.8:1 and 9.2:1 on it).
STAGE_TEXT, STAGE_BAR, STAGE_BAR_2 = "#ffffff", "#8cc4f5", "#a9dc7a"
STAGE_GRID = "rgba(255,255,255,0.3)"

# Per variant: the box the figure is designed for, font sizes in it, the longest line of a label (characters)
# and how many words a cloud shows.
VARIANTS = {
    "stage": {"box": (1600, 680), "font": 30, "wrap": 34, "cloud": (30, 120), "words": 40},
    "cell": {"box": (600, 260), "font": 19, "wrap": 28, "cloud": (17, 58), "words": 25},
}
PARTICIPANT_CLOUD = {"box": (600, 340), "cloud": (16, 56), "words": 40}


def _layout(height: int) -> dict:
    return {
        "height": height,
        "margin": {"l": 8, "r": 24, "t": 8, "b": 32},
        "font": {"family": FONT, "size": 15, "color": "#1a1a1a"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "transition": {"duration": 250},
        "template": "none",  # the default template alone is ~7 KB of JSON on every push
    }


def _stage_layout(variant: str) -> dict:
    """The presenter's layout: no fixed size (the chart fills its place on the screen), light on dark."""
    spec = VARIANTS[variant]
    return {
        "meta": {"fit": list(spec["box"])},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT, "size": spec["font"], "color": STAGE_TEXT},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "transition": {"duration": 250},
        "template": "none",
    }


def plain(text: str) -> str:
    """Text for a chart, shown as typed: plotly.js reads tags in its text (<b>, <a href>, <span style>) as markup
    and decodes entities, so a label like "<a href=...>" would become a link and a style the CSP refuses."""
    return escape(text, quote=False)


def wrap(text: str, width: int) -> str:
    """A label for a chart, as typed (see `plain`), broken into lines of about `width` characters with plotly's
    <br>. Breaks go before a space, which stays at the start of the next line, and inside a word only when the
    word alone is longer than a line: the text of the label is unchanged, only laid out on more lines."""
    lines: list[str] = []
    line = ""
    for i, word in enumerate(text.split(" ")):
        piece = word if i == 0 else " " + word
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line += piece
        while len(line) > width + 1:  # one word longer than a line: cut it
            lines.append(line[:width])
            line = line[width:]
    lines.append(line)
    return "<br>".join(plain(part) for part in lines)


def figure(tally: Tally, variant: str | None = None) -> dict | None:
    """The figure as a plain dict (data + layout), or None for open text (shown as a list, not a chart).
    `variant` is None for the participants' pages, "stage" or "cell" for the presenter's screen.

    Built as dicts in plotly's figure schema rather than through ``plotly.graph_objects``: validating a Figure
    costs milliseconds, and this runs on every tick of a live poll. A test builds the same figures with
    plotly.graph_objects and checks that both give the same JSON."""
    kind = tally.question.kind
    if kind in CHOICE_KINDS:
        return _choices(tally) if variant is None else _stage_choices(tally, variant)
    if kind == PollKind.SCALE:
        return _scale(tally) if variant is None else _stage_scale(tally, variant)
    if kind == PollKind.WORDS:
        if variant is None:
            trace, layout = _word_cloud(tally.words)
        else:
            trace, layout = _word_cloud(tally.words, variant)
        return {"data": [trace], "layout": layout}
    return None


def _choices(tally: Tally) -> dict:
    labels = [plain(option.label) for option, _ in tally.options]
    counts = [count for _, count in tally.options]
    trace = {"type": "bar", "x": counts, "y": labels, "orientation": "h", "marker": {"color": BLUE},
             "text": [f"{c} ({tally.percent(c)}%)" for c in counts], "textposition": "auto",
             "cliponaxis": False, "hovertemplate": "%{y}: %{x}<extra></extra>"}
    layout = _layout(60 + 48 * len(labels))
    layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    layout["xaxis"] = {"rangemode": "tozero", "dtick": max(1, math.ceil(max(counts + [1]) / 5))}
    return {"data": [trace], "layout": layout}


def _scale(tally: Tally) -> dict:
    q = tally.question
    trace = {"type": "bar", "x": [str(v) for v, _ in tally.scale], "y": [c for _, c in tally.scale],
             "marker": {"color": GREEN}, "text": [str(c) for _, c in tally.scale], "textposition": "auto",
             "hovertemplate": "%{x}: %{y}<extra></extra>"}
    layout = _layout(300)
    # automargin on both axes: without it the counts on the y axis are cut off at the left edge and the caption
    # under the x axis is drawn over its tick labels.
    layout["xaxis"] = {"type": "category", "automargin": True,
                       "title": {"text": f"{q.scale_min} = {plain(q.scale_min_label or '')} · "
                                         f"{q.scale_max} = {plain(q.scale_max_label or '')}", "standoff": 12}}
    layout["yaxis"] = {"rangemode": "tozero", "automargin": True}
    return {"data": [trace], "layout": layout}


def _stage_choices(tally: Tally, variant: str) -> dict:
    """Horizontal bars with the answers as labels (wrapped), the votes and share at the end of each bar; no x axis:
    the numbers are on the bars, so the room reads them at a glance."""
    spec = VARIANTS[variant]
    labels = [wrap(option.label, spec["wrap"]) for option, _ in tally.options]
    counts = [count for _, count in tally.options]
    top = max(counts + [1])
    trace = {"type": "bar", "x": counts, "y": labels, "orientation": "h", "marker": {"color": STAGE_BAR},
             "text": [f"{c} ({tally.percent(c)}%)" for c in counts], "textposition": "outside",
             "textfont": {"size": spec["font"], "color": STAGE_TEXT}, "cliponaxis": False,
             "hovertemplate": "%{y}: %{x}<extra></extra>"}
    layout = _stage_layout(variant)
    layout["bargap"] = 0.3
    # An invisible tick keeps the labels off the bars.
    layout["yaxis"] = {"autorange": "reversed", "automargin": True, "tickfont": {"size": spec["font"]},
                       "ticks": "outside", "ticklen": spec["font"] // 2, "tickcolor": "rgba(0,0,0,0)",
                       "fixedrange": True}
    # Room after the longest bar for its "12 (40%)".
    layout["xaxis"] = {"visible": False, "range": [0, top * 1.35], "fixedrange": True}
    return {"data": [trace], "layout": layout}


def _stage_scale(tally: Tally, variant: str) -> dict:
    """Columns per scale value; the ends carry their meaning under the axis ("1 / Slecht"), no separate caption."""
    spec = VARIANTS[variant]
    q = tally.question
    values = [str(v) for v, _ in tally.scale]
    counts = [c for _, c in tally.scale]
    ticks = list(values)
    if ticks:
        if q.scale_min_label:
            ticks[0] = f"{ticks[0]}<br>{wrap(q.scale_min_label, spec['wrap'] // 2)}"
        if q.scale_max_label:
            ticks[-1] = f"{ticks[-1]}<br>{wrap(q.scale_max_label, spec['wrap'] // 2)}"
    trace = {"type": "bar", "x": values, "y": counts, "marker": {"color": STAGE_BAR_2},
             "text": [str(c) for c in counts], "textposition": "outside",
             "textfont": {"size": spec["font"], "color": STAGE_TEXT}, "cliponaxis": False,
             "hovertemplate": "%{x}: %{y}<extra></extra>"}
    layout = _stage_layout(variant)
    layout["bargap"] = 0.25
    layout["xaxis"] = {"type": "category", "automargin": True, "tickmode": "array", "tickvals": values,
                       "ticktext": ticks, "tickfont": {"size": spec["font"]}, "showline": True,
                       "linecolor": STAGE_GRID, "fixedrange": True}
    layout["yaxis"] = {"visible": False, "range": [0, max(counts + [1]) * 1.25], "fixedrange": True}
    return {"data": [trace], "layout": layout}


# --- the word cloud -----------------------------------------------------------------------------------------

# Approximate advance widths (in em) of the sans-serif fonts browsers use for system-ui (DejaVu Sans, Segoe UI,
# Roboto, San Francisco): enough to place words without overlap. charts.js checks the drawn words and shrinks
# the cloud if a font turns out wider.
_NARROW, _SEMI, _WIDE = set("iljI.,:;!|'`ı"), set("frt()[]{}-/ "), set("mwMW@%")


def _text_width(text: str, size: float) -> float:
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.32
        elif char in _SEMI:
            em += 0.42
        elif char in _WIDE:
            em += 0.95
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            em += 1.0
        elif char.isupper() or char.isdigit():
            em += 0.72
        else:
            em += 0.64
    return em * size


def _pack(words: tuple[tuple[str, float], ...], width: float, height: float) -> list[tuple[float, float]] | None:
    """Centres for the words (text, font size), biggest first, on an elliptic spiral out from the middle: no two
    words' boxes overlap and every box stays inside width x height (centred on 0, 0). None if they do not fit."""
    placed: list[tuple[float, float, float, float]] = []
    centres: list[tuple[float, float]] = []
    aspect = width / height
    half_w, half_h = width / 2, height / 2
    reached = 0.0  # the centre fills up: a word starts a little inside where the one before it found room
    for text, size in words:
        w = _text_width(text, size) + 0.25 * size
        h = 1.2 * size
        if w > width or h > height:
            return None
        # Steps in proportion to the word: a big word needs few tries, a small one finds the gaps.
        growth, arc = max(0.5 * size, 2.0), max(0.6 * size, 2.0)
        radius = reached * 0.6
        theta, found, last = radius * 2 * math.pi / growth, None, None
        while radius <= half_h * 1.5:
            x, y = radius * math.cos(theta) * aspect, radius * math.sin(theta)
            x0, y0, x1, y1 = x - w / 2, y - h / 2, x + w / 2, y + h / 2
            if x0 >= -half_w and x1 <= half_w and y0 >= -half_h and y1 <= half_h:
                # The word in the way of the previous try is most likely in the way again: try it first.
                if last is None or not (x0 < last[2] and last[0] < x1 and y0 < last[3] and last[1] < y1):
                    last = next((p for p in placed if x0 < p[2] and p[0] < x1 and y0 < p[3] and p[1] < y1), None)
                    if last is None:
                        found = (x0, y0, x1, y1)
                        break
            theta += min(0.8, arc / max(radius * aspect, 1.0))
            radius = growth * theta / (2 * math.pi)
        if found is None:
            return None
        placed.append(found)
        reached = radius
        centres.append(((found[0] + found[2]) / 2, (found[1] + found[3]) / 2))
    return centres


LEVELS = 8  # word sizes come in steps: one more vote seldom changes the cloud's layout (a cache hit)


@lru_cache(maxsize=64)
def _cloud_layout(words: tuple[tuple[str, int], ...], width: int, height: int, smallest: float,
                  biggest: float) -> tuple[tuple[float, float, float], ...]:
    """(x, y, font size) per word, given (word, size level 0..LEVELS): shrunk until all fit, then the whole cloud
    scaled up to fill the box (at most 1.5x)."""
    if not words:
        return ()
    sizes = [smallest + (biggest - smallest) * level / LEVELS for _, level in words]
    # Start near a size that can fit: the words' boxes covering at most 40 % of the box (a cloud is not a puzzle).
    area = sum((_text_width(w, s) + 0.25 * s) * 1.2 * s for (w, _), s in zip(words, sizes, strict=True))
    factor = min(1.0, math.sqrt(0.4 * width * height / area))
    for _ in range(12):
        centres = _pack(tuple((w, s * factor) for (w, _), s in zip(words, sizes, strict=True)), width, height)
        if centres is not None:
            break
        factor *= 0.9
    else:  # a single word too long for the box even small: show it anyway, charts.js shrinks it to fit
        centres = [(0.0, 0.0)] * len(words)
    boxes = [(x, y, _text_width(w, s * factor) + 0.25 * s * factor, 1.2 * s * factor)
             for (x, y), (w, _), s in zip(centres, words, sizes, strict=True)]
    left = min(x - bw / 2 for x, _y, bw, _bh in boxes)
    right = max(x + bw / 2 for x, _y, bw, _bh in boxes)
    low = min(y - bh / 2 for _x, y, _bw, bh in boxes)
    high = max(y + bh / 2 for _x, y, _bw, bh in boxes)
    grow = min(1.5, width / max(right - left, 1.0), height / max(high - low, 1.0))
    if grow < 1:
        grow = 1.0
    mid_x, mid_y = (left + right) / 2, (low + high) / 2
    return tuple((round((x - mid_x) * grow, 1), round((y - mid_y) * grow, 1), round(s * factor * grow, 1))
                 for (x, y), s in zip(centres, sizes, strict=True))


def _word_cloud(words: list[tuple[str, int]], variant: str | None = None) -> tuple[dict, dict]:
    """Plotly has no word cloud: the words are placed without overlap (biggest in the middle, size by count) in
    a box of known size, and the axes show exactly that box at one scale (x and y). Deterministic, so every
    screen shows the same cloud; labels keep their accents (words.display_forms)."""
    spec = PARTICIPANT_CLOUD if variant is None else VARIANTS[variant]
    width, height = spec["box"]
    shown = words[: spec["words"]]
    smallest, biggest = spec["cloud"]
    top = max((n for _, n in shown), default=1)
    # Size by the square root of the count: a word given twice as often is not twice as tall.
    levels = tuple((w, round(LEVELS * math.sqrt(max(n, 0) / top))) for w, n in shown)
    placed = _cloud_layout(levels, width, height, smallest, biggest)
    light = variant is None
    colours = [(BLUE if i % 2 == 0 else GREEN) if light else (STAGE_TEXT if i % 2 == 0 else STAGE_BAR_2)
               for i in range(len(shown))]
    trace = {"type": "scatter", "x": [p[0] for p in placed], "y": [p[1] for p in placed], "mode": "text",
             "text": [plain(w) for w, _ in shown], "textposition": "middle center",
             "textfont": {"size": [p[2] for p in placed], "color": colours, "family": FONT},
             "cliponaxis": False, "customdata": [n for _, n in shown],
             "hovertemplate": "%{text}: %{customdata}<extra></extra>"}
    layout = _layout(height) if light else _stage_layout(variant)  # type: ignore[arg-type]
    layout["meta"] = {"fit": [width, height]}
    layout["margin"] = {"l": 0, "r": 0, "t": 0, "b": 0}
    layout["xaxis"] = {"visible": False, "range": [-width / 2, width / 2], "fixedrange": True}
    layout["yaxis"] = {"visible": False, "range": [-height / 2, height / 2], "fixedrange": True,
                       "scaleanchor": "x", "scaleratio": 1}
    if not words:
        layout["annotations"] = [{"text": gettext("No answers yet"), "showarrow": False,
                                  "font": {"size": 18 if light else VARIANTS[variant]["font"]}}]  # type: ignore[index]
    return trace, layout
