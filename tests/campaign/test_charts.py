"""The SVG charts (pages.charts): well-formed, accessible, escaped, and drawn to scale."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from pages import charts

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime.date(2026, 1, 22)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup


def texts(root: ET.Element, css: str) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == css]


def bar_widths(root: ET.Element) -> list[float]:
    return [float(g.find(f"{SVG}rect").get("width")) for g in root.iter(f"{SVG}g")]


def test_a_bar_chart_is_an_image_named_and_described():
    root = parse(
        charts.bar_chart(
            [charts.Bar("Writer", 3)], chart_id="fields", title="By field", description="Bars."
        )
    )

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "fields-title fields-desc"
    assert root.find(f"{SVG}title").attrib == {"id": "fields-title"}
    assert root.find(f"{SVG}title").text == "By field"
    assert root.find(f"{SVG}desc").attrib == {"id": "fields-desc"}
    assert root.find(f"{SVG}desc").text == "Bars."
    assert list(root)[:2] == [root.find(f"{SVG}title"), root.find(f"{SVG}desc")]


def test_bars_are_drawn_to_scale_with_their_labels_and_values():
    root = parse(
        charts.bar_chart(
            [charts.Bar("Writer", 300), charts.Bar("Actor", 150), charts.Bar("Musician", 1)],
            chart_id="c",
            title="t",
            description="d",
        )
    )

    assert texts(root, "chart__label") == ["Writer", "Actor", "Musician"]
    assert texts(root, "chart__value") == ["300", "150", "1"]
    widest, half, smallest = bar_widths(root)
    assert half == pytest.approx(widest / 2, abs=0.1)
    assert 0 < smallest < 2
    assert widest + 6 + 3 * 0.6 * 13 <= int(root.get("width"))  # room for "300" after it


def test_hostile_labels_and_titles_are_escaped():
    hostile = '<script>alert("x")</script> & <b>'
    markup = charts.bar_chart(
        [charts.Bar(hostile, 1)], chart_id="c", title=hostile, description=hostile
    )
    root = parse(markup)

    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter("script"))
    assert root.find(f"{SVG}title").text == hostile
    assert texts(root, "chart__label") == [hostile]


def test_hostile_point_labels_and_legends_are_escaped():
    hostile = "</title><script>x</script>"
    line = charts.line_chart(
        [charts.Point(DAY, 1, label=hostile)],
        chart_id="g",
        title="t",
        description=hostile,
        axis_label=lambda day: hostile,
    )
    bar = charts.proportion_bar(
        1, 2, chart_id="v", title="t", description="d", part_label=hostile, rest_label=hostile
    )
    for markup in (line, bar):
        assert "<script>" not in markup
        assert not list(parse(markup).iter(f"{SVG}script"))


def test_a_long_label_is_shortened_and_kept_whole_in_the_tooltip():
    label = "Congo (the Democratic Republic of the) and a few more words to be long"
    root = parse(charts.bar_chart([charts.Bar(label, 5)], chart_id="c", title="t", description="d"))

    shown = texts(root, "chart__label")[0]
    assert shown.endswith("…")
    assert label.startswith(shown[:-1])
    assert root.find(f"{SVG}g/{SVG}title").text == label


def test_values_are_written_the_active_languages_way():
    with translation.override("fr"):
        root = parse(
            charts.bar_chart([charts.Bar("x", 12345)], chart_id="c", title="t", description="d")
        )
    assert texts(root, "chart__value") == ["12\xa0345"]
    with translation.override("en"):
        root = parse(
            charts.bar_chart([charts.Bar("x", 12345)], chart_id="c", title="t", description="d")
        )
    assert texts(root, "chart__value") == ["12,345"]


def line(points, **kwargs) -> ET.Element:
    return parse(
        charts.line_chart(
            points,
            chart_id="growth",
            title="Over time",
            description="Grew.",
            axis_label=lambda day: day.isoformat(),
            **kwargs,
        )
    )


def test_a_line_chart_marks_each_labelled_day_at_its_total():
    points = [
        charts.Point(DAY, 3, "22: 3"),
        charts.Point(DAY + datetime.timedelta(days=1), 4, "23: 4"),
        charts.Point(DAY + datetime.timedelta(days=3), 8, "25: 8"),
    ]
    root = line(points)

    markers = list(root.iter(f"{SVG}circle"))
    assert [m.find(f"{SVG}title").text for m in markers] == ["22: 3", "23: 4", "25: 8"]
    xs = [float(m.get("cx")) for m in markers]
    ys = [float(m.get("cy")) for m in markers]
    # Time runs left to right in proportion (1 day, then 2); higher totals sit higher.
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]), abs=0.2)
    assert ys[0] > ys[1] > ys[2]
    # Round value ticks from zero, the first, middle and last dates under the axis.
    assert texts(root, "chart__ytick") == ["0", "2", "4", "6", "8"]
    assert texts(root, "chart__xtick") == ["2026-01-22", "2026-01-23", "2026-01-25"]


def test_the_line_holds_each_total_until_the_eve_of_the_next_rise():
    root = line([charts.Point(DAY, 2, "a"), charts.Point(DAY + datetime.timedelta(days=4), 4, "b")])

    path = root.find(f"{SVG}path[@class='chart__line']").get("d")
    # From zero on the first day: up to 2, flat until the eve of the 26th, then up to 4.
    assert path.startswith("M ")
    assert [part[0] for part in path.split(" ") if part.isalpha()] == ["M", "L", "H", "L"]


def test_one_day_is_still_drawn_as_a_line_from_zero():
    root = line([charts.Point(DAY, 5, "only")])

    assert root.find(f"{SVG}path[@class='chart__line']").get("d").count("L") == 1
    assert texts(root, "chart__xtick") == ["2026-01-22"]


def test_the_compact_line_chart_has_no_markers_and_fewer_ticks():
    points = [charts.Point(DAY + datetime.timedelta(days=n), n + 1, f"{n}") for n in range(10)]
    root = line(points, compact=True)

    assert not list(root.iter(f"{SVG}circle"))
    assert texts(root, "chart__xtick") == ["2026-01-22", "2026-01-31"]
    assert int(root.get("width")) < 400


def test_markers_are_left_out_when_there_are_too_many():
    points = [charts.Point(DAY + datetime.timedelta(days=n), n + 1, f"{n}") for n in range(30)]
    assert len(list(line(points, max_markers=30).iter(f"{SVG}circle"))) == 30
    assert not list(line(points, max_markers=29).iter(f"{SVG}circle"))


def test_the_proportion_bar_fills_the_part_of_the_whole():
    root = parse(
        charts.proportion_bar(
            1,
            4,
            chart_id="verified",
            title="Verified",
            description="A quarter.",
            part_label="Verified: 1",
            rest_label="Not verified: 3",
        )
    )

    track, part = (float(r.get("width")) for r in list(root.iter(f"{SVG}rect"))[:2])
    assert part == pytest.approx(track / 4, abs=0.1)
    assert texts(root, "chart__legend") == ["Verified: 1", "Not verified: 3"]
    assert root.get("role") == "img"


def test_the_proportion_bar_of_nothing_is_empty():
    root = parse(
        charts.proportion_bar(
            0, 0, chart_id="v", title="t", description="d", part_label="a", rest_label="b"
        )
    )
    assert float(root.find(f"{SVG}rect[@class='chart__part']").get("width")) == 0


@pytest.mark.parametrize(
    ("maximum", "ticks", "step"),
    [(0, 4, 1), (3, 4, 1), (6, 4, 2), (8, 4, 2), (10, 4, 5), (987, 4, 500), (12345, 4, 5000)],
)
def test_nice_steps(maximum, ticks, step):
    assert charts.nice_step(maximum, ticks) == step
