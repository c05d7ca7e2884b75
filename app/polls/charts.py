"""Plotly figures, built on the server and sent as JSON; the browser only calls Plotly.react.

One figure per question kind: bars for choices, a distribution for scales, a word cloud for words."""

from __future__ import annotations

import math
from html import escape

from app.i18n import gettext
from app.polls.service import Tally

BLUE, GREEN = "#154273", "#2e6b0a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


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


def plain(text: str) -> str:
    """Text for a chart, shown as typed: plotly.js reads tags in its text (<b>, <a href>, <span style>) as markup
    and decodes entities, so a label like "<a href=...>" would become a link and a style the CSP refuses."""
    return escape(text, quote=False)


def figure(tally: Tally) -> dict | None:
    """The figure as a plain dict (data + layout), or None for open text (shown as a list, not a chart).

    Built as dicts in plotly's figure schema rather than through ``plotly.graph_objects``: validating a Figure
    costs milliseconds, and this runs on every tick of a live poll. A test builds the same figures with
    plotly.graph_objects and checks that both give the same JSON."""
    kind = tally.question.kind
    if kind in ("single", "multiple"):
        labels = [plain(option.label) for option, _ in tally.options]
        counts = [count for _, count in tally.options]
        trace = {"type": "bar", "x": counts, "y": labels, "orientation": "h", "marker": {"color": BLUE},
                 "text": [f"{c} ({tally.percent(c)}%)" for c in counts], "textposition": "auto",
                 "cliponaxis": False, "hovertemplate": "%{y}: %{x}<extra></extra>"}
        layout = _layout(60 + 48 * len(labels))
        layout["yaxis"] = {"autorange": "reversed", "automargin": True}
        layout["xaxis"] = {"rangemode": "tozero", "dtick": max(1, math.ceil(max(counts + [1]) / 5))}
    elif kind == "scale":
        q = tally.question
        trace = {"type": "bar", "x": [str(v) for v, _ in tally.scale], "y": [c for _, c in tally.scale],
                 "marker": {"color": GREEN}, "text": [str(c) for _, c in tally.scale], "textposition": "auto",
                 "hovertemplate": "%{x}: %{y}<extra></extra>"}
        layout = _layout(300)
        layout["xaxis"] = {"type": "category", "title": {"text": f"{q.scale_min} = {plain(q.scale_min_label or '')} · "
                                                                 f"{q.scale_max} = {plain(q.scale_max_label or '')}"}}
        layout["yaxis"] = {"rangemode": "tozero"}
    elif kind == "words":
        trace, layout = _word_cloud(tally.words)
    else:
        return None
    return {"data": [trace], "layout": layout}


def _word_cloud(words: list[tuple[str, int]]) -> tuple[dict, dict]:
    """Plotly has no word cloud: place words on a golden-angle spiral, biggest in the middle, size by count.
    Deterministic, so every screen shows the same cloud."""
    top = max((n for _, n in words), default=1)
    xs, ys, sizes, colours = [], [], [], []
    for i, (_word, n) in enumerate(words):
        angle = i * 2.39996
        radius = 0.9 * math.sqrt(i)
        xs.append(radius * math.cos(angle) * 1.6)
        ys.append(radius * math.sin(angle))
        sizes.append(14 + 34 * (n / top))
        colours.append(BLUE if i % 2 == 0 else GREEN)
    trace = {"type": "scatter", "x": xs, "y": ys, "mode": "text", "text": [plain(w) for w, _ in words],
             "textfont": {"size": sizes, "color": colours, "family": FONT},
             "customdata": [n for _, n in words], "hovertemplate": "%{text}: %{customdata}<extra></extra>"}
    layout = _layout(340)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    if not words:
        layout["annotations"] = [{"text": gettext("No answers yet"), "showarrow": False, "font": {"size": 18}}]
    return trace, layout
