"""The live chart figures are plain dicts (fast to build on every tick); plotly.graph_objects is the oracle:
the same figures built through it must give the same JSON, and plotly must accept ours as valid."""

from __future__ import annotations

import html
import json
import math
from types import SimpleNamespace

import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st

from app.polls import charts
from app.polls.service import Tally
from app.polls.words import display_forms


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
        fig.update_xaxes(type="category", automargin=True, title_standoff=12,
                         title_text=f"{q.scale_min} = {charts.plain(q.scale_min_label or '')} · "
                                    f"{q.scale_max} = {charts.plain(q.scale_max_label or '')}")
        fig.update_yaxes(rangemode="tozero", automargin=True)
    elif kind == "words":
        trace, cloud_layout = charts._word_cloud(tally.words)
        width, height = charts.PARTICIPANT_CLOUD["box"]
        fig = go.Figure(go.Scatter(**{k: v for k, v in trace.items() if k != "type"}))
        fig.update_layout(**{**layout(height), "meta": {"fit": [width, height]},
                             "margin": {"l": 0, "r": 0, "t": 0, "b": 0}})
        fig.update_xaxes(visible=False, range=[-width / 2, width / 2], fixedrange=True)
        fig.update_yaxes(visible=False, range=[-height / 2, height / 2], fixedrange=True, scaleanchor="x",
                         scaleratio=1)
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


# --- the presenter's figures (app/polls/charts.py VARIANTS) -------------------------------------------------


def _choices(options: list[tuple[str, int]]) -> Tally:
    return Tally(question=SimpleNamespace(kind="single"), voters=sum(c for _, c in options),  # type: ignore[arg-type]
                 options=[(SimpleNamespace(label=label), count) for label, count in options])  # type: ignore[misc]


@settings(max_examples=15, deadline=None)
@given(variant=st.sampled_from(["stage", "cell"]),
       options=st.lists(st.tuples(st.text(min_size=1, max_size=120), counts), min_size=1, max_size=8),
       scale=st.lists(st.tuples(st.integers(0, 10), counts), min_size=2, max_size=11),
       low=st.text(max_size=60), high=st.text(max_size=60))
def test_presenter_figures_are_valid_and_keep_every_label(variant: str, options: list[tuple[str, int]],
                                                          scale: list[tuple[int, int]], low: str, high: str) -> None:
    question = SimpleNamespace(kind="scale", scale_min=1, scale_max=5, scale_min_label=low, scale_max_label=high)
    figures = [charts.figure(_choices(options), variant),
               charts.figure(Tally(question=question, voters=1, scale=scale), variant)]  # type: ignore[arg-type]
    for fig in figures:
        assert fig is not None
        normal(fig)  # plotly validates every attribute
        layout = fig["layout"]
        # No fixed size: the chart fills its place on the screen, fonts scaled by charts.js from this box.
        assert "height" not in layout and layout["meta"]["fit"] == list(charts.VARIANTS[variant]["box"])
        assert layout["font"]["color"] == charts.STAGE_TEXT
    bars = figures[0]["data"][0]
    assert [label.replace("<br>", "") for label in bars["y"]] == [charts.plain(label) for label, _ in options]
    assert bars["x"] == [c for _, c in options]
    ticks = figures[1]["layout"]["xaxis"]["ticktext"]
    assert ticks[0].replace("<br>", "") == str(scale[0][0]) + charts.plain(low)


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=200), width=st.integers(4, 40))
def test_wrap_only_lays_the_label_out_on_lines(text: str, width: int) -> None:
    wrapped = charts.wrap(text, width)
    assert wrapped.replace("<br>", "") == charts.plain(text)  # the same text, only broken into lines
    assert all(len(html.unescape(line)) <= width + 1 for line in wrapped.split("<br>"))


def _boxes(trace: dict) -> list[tuple[float, float, float, float]]:
    return [(x - charts._text_width(word, size) / 2, y - size / 2, x + charts._text_width(word, size) / 2, y + size / 2)
            for x, y, word, size in zip(trace["x"], trace["y"], [html.unescape(t) for t in trace["text"]],
                                        trace["textfont"]["size"], strict=True)]


@settings(max_examples=25, deadline=None)
@given(variant=st.sampled_from([None, "stage", "cell"]),
       words=st.lists(st.tuples(st.text(min_size=1, max_size=40), st.integers(1, 500)), max_size=60))
def test_word_cloud_words_stay_in_the_box_without_overlapping(variant: str | None,
                                                              words: list[tuple[str, int]]) -> None:
    words = sorted(words, key=lambda item: -item[1])  # as the tally gives them
    trace, layout = charts._word_cloud(words, variant)
    assert charts._word_cloud(words, variant) == (trace, layout)  # every screen shows the same cloud
    width, height = layout["meta"]["fit"]
    assert layout["xaxis"]["range"] == [-width / 2, width / 2] and layout["yaxis"]["scaleanchor"] == "x"
    boxes = _boxes(trace)
    if len(boxes) > 1 and all(b == boxes[0] for b in boxes):
        return  # nothing fitted even at the smallest size (charts.js then shrinks the drawn words): not here
    for x0, y0, x1, y1 in boxes:
        assert x0 >= -width / 2 - 0.5 and x1 <= width / 2 + 0.5 and y0 >= -height / 2 - 0.5 and y1 <= height / 2 + 0.5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5), (a, b)


def test_word_cloud_shows_the_words_as_typed_with_their_accents() -> None:
    typed = [("efficient", "efficiënt"), ("efficient", "Efficiënt!"), ("efficient", "efficient"),
             ("ai", "AI"), ("ai", "AI"), ("ai", "ai"), ("den haag", "  Den   Haag "),
             ("verbinding", "verbínding"), ("verbinding", "verbinding")]
    forms = display_forms(typed)
    # The form typed most wins; on a tie the one with accents; an acronym keeps its capitals.
    assert forms == {"efficient": "efficiënt", "ai": "AI", "den haag": "den haag", "verbinding": "verbínding"}
    tally = Tally(question=SimpleNamespace(kind="words"), voters=3,  # type: ignore[arg-type]
                  words=[(forms["efficient"], 3), (forms["ai"], 2)])
    for variant in (None, "stage", "cell"):
        assert charts.figure(tally, variant)["data"][0]["text"] == ["efficiënt", "AI"]
