"""The council statistics' SVG bar charts (councils/charts.py): geometry, hidden figures,
escaping, CSP, accessibility and byte-stable output. Pure functions: no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from councils import charts
from councils.charts import Bar, bar_chart, format_count

NS = "{http://www.w3.org/2000/svg}"
DASH = "\N{EN DASH}"  # the marker of a secondarily suppressed figure


def render(rows: list[Bar], table_id: str = "new-cases", title: str = "Nye sager") -> str:
    return str(
        bar_chart(
            title=title,
            rows=rows,
            table_id=table_id,
            current_label="1. kvartal 2026",
            previous_label="4. kvartal 2025",
        )
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted XML


def bars(root: ET.Element, kind: str) -> list[ET.Element]:
    return [
        rect
        for row in root.iter(f"{NS}g")
        if row.get("class") == "chart__row"
        for rect in row.iter(f"{NS}rect")
        if f"chart__bar--{kind}" in rect.get("class", "")
    ]


def shown_text(element: ET.Element) -> str:
    """What a <text> draws: its own text, or the text after its tooltip <title>."""
    title = element.find(f"{NS}title")
    return (title.tail if title is not None else element.text) or ""


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [
        shown_text(text)
        for text in root.iter(f"{NS}text")
        if css_class in text.get("class", "").split()
    ]


def row_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "chart__row"]


def test_bar_lengths_are_proportional_to_values():
    root = parse(render([Bar("SSP", 200, 100), Bar("PSP", 50, 150), Bar("KSP", 25, 0)]))
    current = [float(rect.get("width", "")) for rect in bars(root, "current")]
    previous = [float(rect.get("width", "")) for rect in bars(root, "previous")]
    assert current == pytest.approx(
        [charts.PLOT_WIDTH, charts.PLOT_WIDTH / 4, charts.PLOT_WIDTH / 8]
    )
    # A zero draws no bar, so only two previous bars.
    assert previous == pytest.approx([charts.PLOT_WIDTH / 2, charts.PLOT_WIDTH * 3 / 4])
    for rect in bars(root, "current") + bars(root, "previous"):
        assert float(rect.get("x", "")) == charts.PLOT_X


def test_scale_follows_the_largest_shown_value_not_a_hidden_one():
    root = parse(render([Bar("SSP", 10, "<5"), Bar("PSP", 5, DASH)]))
    widths = [float(rect.get("width", "")) for rect in bars(root, "current")]
    assert widths == pytest.approx([charts.PLOT_WIDTH, charts.PLOT_WIDTH / 2])


def test_value_is_printed_at_the_end_of_its_bar():
    root = parse(render([Bar("SSP", 40, 10)]))
    (rect,) = bars(root, "current")
    (value,) = [t for t in root.iter(f"{NS}text") if "chart__value--current" in t.get("class", "")]
    assert shown_text(value) == "40"
    assert float(value.get("x", "")) > float(rect.get("x", "")) + float(rect.get("width", ""))


def test_hidden_values_draw_no_bar_and_print_their_marker():
    root = parse(render([Bar("SSP", "<5", 12), Bar("PSP", 30, DASH)]))
    ssp, psp = row_groups(root)
    assert [r.get("class") for r in ssp.iter(f"{NS}rect")] == ["chart__bar chart__bar--previous"]
    assert [r.get("class") for r in psp.iter(f"{NS}rect")] == ["chart__bar chart__bar--current"]
    assert texts(root, "chart__value--hidden") == ["<5", DASH]
    assert texts(root, "chart__value") == ["<5", "12", "30", DASH]


def test_chart_with_only_hidden_or_zero_values_renders_without_bars():
    svg = render([Bar("SSP", "<5", DASH), Bar("PSP", 0, 0), Bar("KSP", DASH, "<5")])
    root = parse(svg)
    assert bars(root, "current") == [] and bars(root, "previous") == []
    assert texts(root, "chart__value") == ["<5", DASH, "0", "0", DASH, "<5"]
    assert texts(root, "chart__label") == ["SSP", "PSP", "KSP"]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_chart_without_rows_renders():
    root = parse(render([]))
    assert root.get("role") == "img"
    assert row_groups(root) == []


def test_text_from_the_database_is_escaped():
    evil = '<script>alert("x")</script>'
    svg = str(
        bar_chart(
            title=evil,
            rows=[Bar(evil, 3, "<5"), Bar('SSP" onload="alert(1)', 1, 2)],
            table_id="t1",
            current_label=evil,
            previous_label="a & b",
        )
    )
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert 'onload="' not in svg
    root = parse(svg)  # still well-formed XML
    assert root[0].tag == f"{NS}title"
    assert root[0].text == evil
    assert texts(root, "chart__label")[1].startswith('SSP" onload=')
    assert texts(root, "chart__legend-label") == [evil, "a & b"]


def test_no_style_attribute_script_or_event_handler_anywhere():
    root = parse(render([Bar("SSP", 1234, "<5"), Bar("En meget lang etiket " * 3, 7, 8)]))
    for element in root.iter():
        assert element.tag not in {f"{NS}script", f"{NS}style", f"{NS}foreignObject"}
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.lower().startswith("on")]


def test_accessible_name_and_description():
    root = parse(render([Bar("SSP", 3, 4)], table_id="cases-by-forum", title="Nye sager"))
    assert root.get("role") == "img"
    title = root[0]
    assert title.tag == f"{NS}title"
    assert title.text == "Nye sager"
    assert root.get("aria-labelledby") == title.get("id") == "cases-by-forum-chart-title"
    assert root.get("aria-describedby") == "cases-by-forum"


def test_ids_are_unique_across_two_charts_on_one_page():
    first = parse(render([Bar("SSP", 3, 4)], table_id="cases-new"))
    second = parse(render([Bar("SSP", 3, 4)], table_id="cases-closed"))
    ids = [el.get("id") for root in (first, second) for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 4
    for root in (first, second):
        own_ids = {el.get("id") for el in root.iter() if el.get("id")}
        assert root.get("aria-labelledby") in own_ids
        references = {
            value[len("url(#") : -1]
            for el in root.iter()
            for value in el.attrib.values()
            if value.startswith("url(#")
        }
        assert references and references <= own_ids


def test_table_id_that_is_not_an_id_token_is_refused():
    with pytest.raises(ValueError, match="table_id"):
        render([Bar("SSP", 1, 2)], table_id='x" onload="alert(1)')
    with pytest.raises(ValueError, match="table_id"):
        render([Bar("SSP", 1, 2)], table_id="")


def test_negative_or_non_count_values_are_refused():
    with pytest.raises(ValueError, match="negative"):
        render([Bar("SSP", -1, 2)])
    with pytest.raises(TypeError):
        render([Bar("SSP", 1.5, 2)])
    with pytest.raises(TypeError):
        render([Bar("SSP", True, 2)])


def test_output_is_deterministic():
    rows = [Bar("SSP", 1234, 987), Bar("PSP", "<5", 17), Bar("KSP", 3 * 7, DASH)]
    same_rows = [Bar("SSP", 1234, 987), Bar("PSP", "<5", 17), Bar("KSP", 21, DASH)]
    assert render(rows).encode() == render(same_rows).encode()


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (999, "999"), (1000, "1.000"), (1234, "1.234"), (1234567, "1.234.567")],
)
def test_danish_number_format(value, text):
    assert format_count(value) == text


def test_chart_prints_values_in_danish_format():
    root = parse(render([Bar("SSP", 1234, 1234567)]))
    assert texts(root, "chart__value") == ["1.234", "1.234.567"]


def test_legend_names_both_periods_with_their_bar_styles():
    root = parse(render([Bar("SSP", 3, 4)]))
    assert texts(root, "chart__legend-label") == ["1. kvartal 2026", "4. kvartal 2025"]
    legend = next(g for g in root.iter(f"{NS}g") if g.get("class") == "chart__legend")
    current_swatch, previous_swatch = legend.iter(f"{NS}rect")
    (current_bar,) = bars(root, "current")
    (previous_bar,) = bars(root, "previous")
    assert current_swatch.get("fill") == current_bar.get("fill")
    assert previous_swatch.get("fill") == previous_bar.get("fill")


def test_periods_differ_without_colour():
    """Printed in black and white the previous period stays apart: hatched, not solid."""
    root = parse(render([Bar("SSP", 3, 4)]))
    (current_bar,) = bars(root, "current")
    (previous_bar,) = bars(root, "previous")
    assert current_bar.get("fill") == charts.PRIMARY
    assert previous_bar.get("fill", "").startswith("url(#")
    pattern = root.find(f"{NS}defs/{NS}pattern")
    assert pattern is not None
    assert pattern.find(f"{NS}line") is not None


def test_long_label_is_shortened_with_an_ellipsis_and_kept_whole_in_its_tooltip():
    label = "Psykisk sårbare personer med behov for en helhedsplan"
    root = parse(render([Bar(label, 3, 4), Bar("SSP+", 1, 2)]))
    long_text, short_text = (t for t in root.iter(f"{NS}text") if t.get("class") == "chart__label")
    shown = shown_text(long_text)
    assert shown.endswith("…")
    assert len(shown) <= charts.LABEL_MAX_CHARS
    assert label.startswith(shown[:-1])
    tooltip = long_text.find(f"{NS}title")
    assert tooltip is not None
    assert tooltip.text == label
    assert shown_text(short_text) == "SSP+"
    assert short_text.find(f"{NS}title") is None
    # Right-aligned to the end of the label column, left of the bars.
    assert long_text.get("text-anchor") == "end"
    assert charts.LABEL_MAX_CHARS * charts.CHAR_WIDTH <= charts.LABEL_RIGHT < charts.PLOT_X


def test_scales_with_its_container():
    root = parse(render([Bar("SSP", 3, 4), Bar("PSP", 1, 2)]))
    assert root.get("width") == "100%"
    assert root.get("height") is None
    x, y, width, height = (float(n) for n in root.get("viewBox", "").split())
    assert (x, y, width) == (0, 0, charts.WIDTH)
    drawn = bars(root, "current") + bars(root, "previous")
    assert max(float(r.get("y", "")) + float(r.get("height", "")) for r in drawn) <= height
    assert max(float(t.get("y", "")) for t in root.iter(f"{NS}text")) <= height


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_colours_meet_wcag_aa_on_white():
    assert _contrast(charts.TEXT, "#ffffff") >= 4.5
    assert _contrast(charts.PRIMARY, "#ffffff") >= 4.5  # bars and hatching, 3:1 would do
    assert _contrast(charts.AXIS, "#ffffff") >= 3
    # The hatching's lines stand out from its light ground.
    assert _contrast(charts.PRIMARY, charts.PRIMARY_LIGHT) >= 3
