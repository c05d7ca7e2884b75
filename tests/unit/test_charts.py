"""The live chart figures are plain dicts (fast to build on every tick); plotly.graph_objects is the oracle:
the same figures built through it must give the same JSON, and plotly must accept ours as valid."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st

from app.polls import charts
from app.polls.service import Tally


def reference(tally: Tally) -> dict | None:
    """The figures as they were first built, through plotly.graph_objects."""
    kind = tally.question.kind
    layout = charts._layout
    if kind in ("single", "multiple"):
        labels = [charts.plain(option.label) for option, _ in tally.options]
        counts = [count for _, count in tally.options]
        fig = go.Figure(go.Bar(
            x=counts, y=labels, orientation="h", marker_color=charts.BLUE,
            text=[f"{c} ({tally.percent(c)}%)" for c in counts], textposition="auto", cliponaxis=False,
            hovertemplate="%{y}: %{x}<extra></extra>"))
        fig.update_layout(**layout(60 + 48 * len(labels)))
        fig.update_yaxes(autorange="reversed", automargin=True)
        fig.update_xaxes(rangemode="tozero", dtick=max(1, math.ceil(max(counts + [1]) / 5)))
    elif kind == "scale":
        q = tally.question
        fig = go.Figure(go.Bar(
            x=[str(v) for v, _ in tally.scale], y=[c for _, c in tally.scale], marker_color=charts.GREEN,
            text=[str(c) for _, c in tally.scale], textposition="auto", hovertemplate="%{x}: %{y}<extra></extra>"))
        fig.update_layout(**layout(300))
        fig.update_xaxes(type="category", title_text=f"{q.scale_min} = {charts.plain(q.scale_min_label or '')} · "
                                                     f"{q.scale_max} = {charts.plain(q.scale_max_label or '')}")
        fig.update_yaxes(rangemode="tozero")
    elif kind == "words":
        trace, cloud_layout = charts._word_cloud(tally.words)
        fig = go.Figure(go.Scatter(**{k: v for k, v in trace.items() if k != "type"}))
        fig.update_layout(**layout(340))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        if not tally.words:
            fig.add_annotation(text=cloud_layout["annotations"][0]["text"], showarrow=False, font={"size": 18})
    else:
        return None
    data = fig.to_plotly_json()
    return {"data": data["data"], "layout": data["layout"]}


def normal(figure: dict) -> object:
    return json.loads(go.Figure(figure).to_json())


labels = st.text(min_size=1, max_size=30)
counts = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["single", "multiple"]), options=st.lists(st.tuples(labels, counts), min_size=1, max_size=8))
def test_choice_figures_equal_plotlys(kind: str, options: list[tuple[str, int]]) -> None:
    question = SimpleNamespace(kind=kind)
    tally = Tally(question=question, voters=sum(c for _, c in options),  # type: ignore[arg-type]
                  options=[(SimpleNamespace(label=label), count) for label, count in options])  # type: ignore[misc]
    ours = charts.figure(tally)
    assert ours is not None
    assert normal(ours) == normal(reference(tally))
    assert ours["data"][0]["x"] == [c for _, c in options]


@settings(max_examples=30, deadline=None)
@given(scale=st.lists(st.tuples(st.integers(0, 10), counts), min_size=2, max_size=11),
       low=st.text(max_size=20), high=st.text(max_size=20))
def test_scale_figures_equal_plotlys(scale: list[tuple[int, int]], low: str, high: str) -> None:
    question = SimpleNamespace(kind="scale", scale_min=1, scale_max=5, scale_min_label=low, scale_max_label=high)
    tally = Tally(question=question, voters=sum(c for _, c in scale), scale=scale)  # type: ignore[arg-type]
    assert normal(charts.figure(tally)) == normal(reference(tally))


@settings(max_examples=30, deadline=None)
@given(words=st.lists(st.tuples(st.text(min_size=1, max_size=20), st.integers(1, 500)), max_size=30))
def test_word_clouds_equal_plotlys(words: list[tuple[str, int]]) -> None:
    tally = Tally(question=SimpleNamespace(kind="words"), voters=len(words), words=words)  # type: ignore[arg-type]
    assert normal(charts.figure(tally)) == normal(reference(tally))


def test_open_text_has_no_figure() -> None:
    assert charts.figure(Tally(question=SimpleNamespace(kind="text"), voters=0)) is None  # type: ignore[arg-type]
