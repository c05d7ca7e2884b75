"""Plotly figures, built on the server and sent as JSON; the browser only calls Plotly.react.

One figure per question kind: bars for choices, a distribution for scales, a word cloud for words."""

from __future__ import annotations

import math

import plotly.graph_objects as go

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


def figure(tally: Tally) -> dict | None:
    """The figure as a plain dict (data + layout), or None for open text (shown as a list, not a chart)."""
    kind = tally.question.kind
    if kind in ("single", "multiple"):
        labels = [option.label for option, _ in tally.options]
        counts = [count for _, count in tally.options]
        fig = go.Figure(go.Bar(
            x=counts, y=labels, orientation="h", marker_color=BLUE,
            text=[f"{c} ({tally.percent(c)}%)" for c in counts], textposition="auto", cliponaxis=False,
            hovertemplate="%{y}: %{x}<extra></extra>",
        ))
        fig.update_layout(**_layout(60 + 48 * len(labels)))
        fig.update_yaxes(autorange="reversed", automargin=True)
        fig.update_xaxes(rangemode="tozero", dtick=max(1, math.ceil(max(counts + [1]) / 5)))
    elif kind == "scale":
        values = [str(v) for v, _ in tally.scale]
        counts = [c for _, c in tally.scale]
        fig = go.Figure(go.Bar(
            x=values, y=counts, marker_color=GREEN, text=[str(c) for c in counts], textposition="auto",
            hovertemplate="%{x}: %{y}<extra></extra>",
        ))
        fig.update_layout(**_layout(300))
        q = tally.question
        fig.update_xaxes(type="category", title_text=f"{q.scale_min} = {q.scale_min_label} · "
                                                     f"{q.scale_max} = {q.scale_max_label}")
        fig.update_yaxes(rangemode="tozero")
    elif kind == "words":
        fig = _word_cloud(tally.words)
    else:
        return None
    data = fig.to_plotly_json()
    return {"data": data["data"], "layout": data["layout"]}


def _word_cloud(words: list[tuple[str, int]]) -> go.Figure:
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
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="text", text=[w for w, _ in words],
        textfont={"size": sizes, "color": colours, "family": FONT},
        customdata=[n for _, n in words], hovertemplate="%{text}: %{customdata}<extra></extra>",
    ))
    fig.update_layout(**_layout(340))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if not words:
        fig.add_annotation(text=gettext("No answers yet"), showarrow=False, font={"size": 18})
    return fig
