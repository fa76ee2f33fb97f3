"""The parts of the explorer written for a learner, without a browser: the glossary and its
tooltips, the labelled shock marks, the person picker, seeded names and the role view's
words about its noise."""

from __future__ import annotations

import re
from html import escape, unescape

import ipyvuetify as v
import numpy as np
import pytest
import solara
from explorer import render_explorer

from diplomacy_sim.dashboard import app, charts, components
from diplomacy_sim.dashboard.glossary import (
    GLOSSARY,
    ORG_FIELDS,
    PERSON_FIELDS,
    SOURCES,
    glossary_html,
    term_html,
)
from diplomacy_sim.dashboard.people import (
    MAX_QUERY,
    MAX_RESULTS,
    grouped_items,
    people_index,
    search_people,
)
from diplomacy_sim.dashboard.session import Setup
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.model.views import SIGNALS, person_view, signals_seen
from diplomacy_sim.names import name_of, person_name, person_title
from diplomacy_sim.scenario.loader import load_shipped

BELIEFS = ("goals_are_good", "change_is_possible", "it_will_happen")


def _render(setup: Setup | None = None):
    return render_explorer(setup)


def _html(rc) -> str:
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _click(rc, text: str) -> None:
    buttons = [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                               if isinstance(c, str)]]
    assert len(buttons) == 1, f"{len(buttons)} buttons named {text!r}"
    buttons[0].click()


# --------------------------------------------------------------------------- glossary
def test_every_outcome_and_card_field_has_a_glossary_entry_tied_to_a_source() -> None:
    model = DiplomacyModel(load_shipped("integrated_discharge"))
    pv = person_view(model, 0)
    fields = {*OUTCOMES, *PERSON_FIELDS, *ORG_FIELDS, *pv["beliefs"], "anxiety", "strain"}
    assert set(BELIEFS) <= set(pv["beliefs"])
    missing = fields - set(GLOSSARY)
    assert not missing, f"no glossary entry for {sorted(missing)}"
    for key, t in GLOSSARY.items():
        assert t.key == key
        assert t.short.strip() and t.explain.strip() and t.unit.strip(), key
        source, section, idea = t.source
        assert source in SOURCES and section.strip() and idea.strip(), key
        assert SOURCES[source] in t.citation and section in t.citation
        # a learner's text: whole sentences, tooltips short enough to read at a glance
        assert t.explain.endswith("."), key
        assert len(t.short) <= 140, key


def test_a_term_is_a_tooltip_that_links_to_its_glossary_entry_and_everything_is_escaped() -> None:
    html = term_html("avoidance", "<b>loops</b>")
    assert 'href="#term-avoidance"' in html
    assert f'title="{GLOSSARY["avoidance"].short}"' in unescape(html)
    assert "<b>" not in html and "&lt;b&gt;loops&lt;/b&gt;" in html
    panel = glossary_html()
    for key, t in GLOSSARY.items():
        assert f'id="term-{key}"' in panel
        assert escape(t.explain) in panel and escape(t.citation) in panel
    assert panel.count('class="glossary-term"') == len(GLOSSARY)
    with pytest.raises(KeyError):
        term_html("no_such_term")


def test_the_page_renders_tooltips_on_chart_titles_and_card_fields_and_the_glossary_panel() -> None:
    rc, session = _render()
    try:
        _click(rc, "Step")
        html = _html(rc)
        # the role view: the person's card fields, each a tooltip link
        for key in ("anxiety", "strain", "ties", "priorities", *BELIEFS):
            assert f'data-term="{key}"' in html, key
        for key in ("budget", "at_the_table", "initiatives"):  # the organisation's card
            assert f'data-term="{key}"' in html, key
        assert 'class="glossary"' in html and html.count('class="glossary-term"') == len(GLOSSARY)
        _click(rc, "Go to the balcony")
        html = _html(rc)
        for key in app.chart_names(session):
            # the chart's title carries the glossary's words on hover, and the line below
            # the charts links each charted term
            assert re.search(rf'data-outcome="{key}".*?<title>{re.escape(GLOSSARY[key].short)}'
                             "</title>", unescape(html)), key
            assert f'data-term="{key}"' in html, key
    finally:
        rc.close()


# --------------------------------------------------------------------------- shock marks
ROWS = [{"step": s, "integration": 0.1 + s / 200, "avoidable_admissions": 20.0 + s,
         "delayed_discharges": 40.0} for s in range(60)]


def _marks(svg: str) -> list[tuple[str, str, str]]:
    """(lane, hover text, label shown) of each shock mark."""
    return re.findall(r'<g class="shock-mark" data-lane="(\d)"><title>([^<]*)</title>.*?'
                      r'class="shock-label"[^>]*>([^<]*)</text></g>', svg)


def test_shock_marks_say_kind_and_organisation_with_the_whole_text_on_hover() -> None:
    names = {"northgate": "Northgate Hospital", "city": "City Council"}
    cut = charts.shock_label({"kind": "budget_cut", "organisations": ["northgate", "city"]},
                             names)
    assert cut == "Budget cut: Northgate Hospital, City Council"
    merge = charts.shock_label({"kind": "reorganisation", "mode": "merge",
                                "organisations": ["city"], "into": "northgate"}, names)
    assert merge == "Reorganisation (merge): City Council into Northgate Hospital"
    assert charts.shock_label({"kind": "demand_surge"}) == "Demand surge"
    svg = charts.line_chart("integration", ROWS, None, 156, [(20, cut)])
    ((lane, hover, shown),) = _marks(svg)
    assert unescape(hover) == cut and lane == "0"
    assert unescape(shown).startswith("Budget cut: N")


def test_shock_marks_close_together_are_stacked_and_far_apart_share_a_row() -> None:
    close = [(20, "Budget cut: City Council"), (21, "Leadership turnover: Northgate"),
             (22, "Demand surge")]
    lanes = [int(lane) for lane, _, _ in _marks(charts.line_chart("integration", ROWS, None,
                                                                   156, close))]
    assert sorted(lanes) == [0, 1, 2]  # three labels at one spot: three rows
    far = [(2, "Budget cut: City"), (50, "Demand surge")]
    lanes = [int(lane) for lane, _, _ in _marks(charts.line_chart("integration", ROWS, None,
                                                                   60, far))]
    assert lanes == [0, 0]
    # the rule itself: in order of x, first free lane; every lane busy: the one freed first
    assert charts.stack_marks([0, 5, 100], [50, 50, 50]) == [0, 1, 0]
    assert charts.stack_marks([0, 1, 2, 3], [50, 50, 50, 50], lanes=3) == [0, 1, 2, 0]


def test_every_chart_has_units_and_a_legend_naming_each_line_drawn() -> None:
    base = [dict(r, integration=r["integration"] - 0.05) for r in ROWS]
    svg = charts.line_chart("integration", ROWS, base, 156, [(10, "Budget cut")], marked=30)
    legend = re.search(r'<g class="legend">(.*?)</g>', svg).group(1)  # type: ignore[union-attr]
    assert [unescape(x) for x in re.findall(r">([^<]+)</text>", legend)] == [
        "this run", "without injected shocks", "shock", "marked week"]
    assert 'class="y-unit"' in svg and charts.UNITS["integration"] in unescape(svg)
    assert '<g class="week-mark" data-week="30">' in svg
    plain = charts.line_chart("integration", ROWS, None, 156)
    assert re.findall(r'<g class="legend">.*?>([^<]+)</text>', plain) == ["this run"]


def test_the_counts_are_charted_on_their_own_scale_in_people() -> None:
    svg = charts.line_chart("avoidable_admissions", ROWS, None, 156)
    ticks = re.findall(r'class="tick"[^>]*>([^<]+)<', svg)
    assert ticks[:3] == ["0", "50", "100"]  # 0 to a round number above the largest (79)
    assert "people per week" in svg
    assert charts.nice_ceiling(79) == 100 and charts.nice_ceiling(14.2) == 20
    assert charts.nice_ceiling(0) == 1 and charts.nice_ceiling(2.5) == 2.5
    shown = [float(y) for y in re.findall(r'<polyline class="run" points="([^"]+)"', svg)[0]
             .replace(",", " ").split()[1::2]]
    assert min(shown) > 0  # inside the plot, not clipped at the top


def test_tick_labels_are_at_least_11_units_and_scale_for_a_projector() -> None:
    svg = charts.line_chart("integration", ROWS, None, 156)
    sizes = {float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)}
    assert min(sizes) >= 11
    big = charts.line_chart("integration", ROWS, None, 156, text_scale=1.5)
    assert min(float(x) for x in re.findall(r'font-size="([\d.]+)"', big)) >= 16.5


# --------------------------------------------------------------------------- picker
@pytest.fixture(scope="module")
def big_model() -> DiplomacyModel:
    return DiplomacyModel(load_shipped("integrated_discharge", people=3000))


def test_search_is_bounded_and_matches_every_word_anywhere(big_model) -> None:
    entries = people_index(big_model)
    assert len(entries) == int(big_model.state.people.active.sum()) >= 2900
    hits, total = search_people(entries, "")
    assert len(hits) == MAX_RESULTS and total == len(entries)
    hits, total = search_people(entries, "social WORKER")
    assert 0 < len(hits) <= MAX_RESULTS and total >= len(hits)
    assert all("social worker" in e.haystack() for e in hits)
    assert total == sum("social" in e.haystack() and "worker" in e.haystack() for e in entries)
    org = entries[0].org
    hits, _ = search_people(entries, f"{org.split()[0]} executive")
    assert hits and all(e.org == org and e.role == "executive" for e in hits)
    for forged in (None, 5, ["x"], {"a": 1}):
        assert search_people(entries, forged)[1] == len(entries)  # taken as empty
    hits, total = search_people(entries, "x" * 10_000)
    assert total == 0  # cut to MAX_QUERY characters, matches nobody
    assert MAX_QUERY < 10_000
    assert search_people(entries, "", limit=10**9)[0].__len__() == MAX_RESULTS


def test_results_are_grouped_by_organisation_and_role_and_keep_the_chosen_person(big_model):
    entries = people_index(big_model)
    hits, _ = search_people(entries, "manager")
    items = grouped_items(hits)
    headers = [i["header"] for i in items if "header" in i]
    assert headers == sorted(set(headers), key=headers.index)  # each group once
    group = None
    for item in items:
        if "header" in item:
            group = item["header"]
        else:
            e = next(x for x in entries if x.index == item["value"])
            assert e.group == group and item["text"] == e.label
    chosen = next(e for e in entries if e.role == "executive")
    first = grouped_items(hits, chosen)[:2]
    assert first == [{"header": "Now seeing as"}, {"text": chosen.label, "value": chosen.index}]


def test_the_picker_searches_on_the_server_and_ignores_a_person_it_did_not_offer() -> None:
    rc, session = _render(Setup(people=600))
    try:
        select = rc.find(v.Select, label="See as").widget
        people = [i for i in select.items if "value" in i]
        assert len(people) <= MAX_RESULTS + 1 < 600
        search = rc.find(v.TextField, class_="person-search").widget
        search.v_model = "occupational therapist"
        items = rc.find(v.Select, label="See as").widget.items
        if items[0] == {"header": "Now seeing as"}:  # the current person, kept on top
            items = items[2:]
        found = [i for i in items if "value" in i]
        assert found and all("Occupational Therapist" in i["text"] for i in found)
        target = found[-1]["value"]
        select.v_model = target
        assert rc.find(v.Select, label="See as").widget.v_model == target
        html = _html(rc)
        assert person_name(session.model, target) in html  # the card shows the name
        for forged in (-1, 10**6, "3", 2.5, True):
            rc.find(v.Select, label="See as").widget.v_model = forged
            assert f"You: {person_name(session.model, target)}" in _html(rc)  # still them
    finally:
        rc.close()


# --------------------------------------------------------------------------- names
def test_names_are_seeded_and_never_touch_a_model_stream() -> None:
    spec = load_shipped("integrated_discharge")
    a, b = DiplomacyModel(spec), DiplomacyModel(spec)
    for _ in range(3):
        a.step()
        b.step()
        names_a = [person_name(a, i) for i in range(a.state.people.n)]
        people_index(a)
        assert [person_name(b, i) for i in range(b.state.people.n)] == names_a
    assert a.rows == b.rows  # naming people changed nothing a run produces
    assert [name_of(1, i) for i in range(50)] == [name_of(1, i) for i in range(50)]
    assert [name_of(1, i) for i in range(50)] != [name_of(2, i) for i in range(50)]
    assert name_of(1, 300) == name_of(1, 300)  # a later block, asked for first or not
    many = {name_of(3, i) for i in range(500)}
    assert len(many) > 300  # varied, not one name
    assert person_title(a, 0)  # every person has a job title


def test_the_room_shows_the_same_name_as_the_explorer() -> None:
    from diplomacy_sim.room.actions import person_label

    model = DiplomacyModel(load_shipped("integrated_discharge"))
    for i in (0, 5, 17):
        assert person_label(model, i).startswith(f"{person_name(model, i)}, "
                                                 f"{person_title(model, i)}")
    entry = next(e for e in people_index(model) if e.index == 5)
    assert entry.name == person_name(model, 5)


# --------------------------------------------------------------------------- role view
def test_the_role_view_says_what_its_noise_means_for_the_one_signal_rule() -> None:
    rc, session = _render()
    try:
        for _ in range(4):
            _click(rc, "Step")
        html = unescape(_html(rc))
        noise = session.model.params.affect.signal_noise
        from scipy.stats import norm

        half = norm.ppf(0.95) * noise
        assert f"within ±{half:.2f} of the true value" in html
        assert "through your own contacts" in html
        # the charts draw the one rule's values, week by week
        person = session.default_person()
        seen = [signals_seen(session.model, person, w) for w in range(1, 5)]
        assert session.person_signals(person) == [
            {"step": session.model.rows[w - 1]["step"], **s} for w, s in zip(
                range(1, 5), seen, strict=True)]
    finally:
        rc.close()
    quiet = components.signal_noise_html(0.0, SIGNALS)
    assert "exactly" in quiet and "±" not in quiet
    assert np.isclose(float(re.search(r"±([\d.]+)", unescape(components.signal_noise_html(
        0.2, SIGNALS))).group(1)), round(norm.ppf(0.95) * 0.2, 2))  # type: ignore[union-attr]


# --------------------------------------------------------------------------- marked week
def test_the_charts_draw_the_marked_week_of_the_page_and_clear_it_on_reset() -> None:
    made: list[app.LiveState] = []
    orig = app.LiveState

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        made.append(orig(*a, **k))
        return made[-1]

    app.LiveState = spy  # type: ignore[misc,assignment]
    try:
        rc, _ = _render()
    finally:
        app.LiveState = orig  # type: ignore[misc]
    try:
        live = made[0]
        for _ in range(3):
            _click(rc, "Step")
        assert 'class="week-mark"' not in _html(rc)
        live.marked_week.value = 1  # what clicking an event of week 2 sets
        html = _html(rc)
        assert html.count('<g class="week-mark" data-week="1">') == 3  # every chart
        assert "marked week" in html  # and its legend says so
        _click(rc, "Go to the balcony")
        assert _html(rc).count('<g class="week-mark" data-week="1">') == 9
        _click(rc, "Reset")
        assert live.marked_week.value is None and 'class="week-mark"' not in _html(rc)
    finally:
        rc.close()


# --------------------------------------------------------------------------- PNG export
def _colours(png: bytes) -> set[tuple[int, int, int]]:
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return set(img.get_flattened_data())


def _near(colours: set[tuple[int, int, int]], hex_colour: str, tol: int = 12) -> bool:
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(c - w) <= tol for c, w in zip(col, want, strict=True))
               for col in colours)


def test_the_png_has_every_chart_and_draws_shocks_the_counterfactual_and_the_marked_week():
    import io

    from PIL import Image

    names = ("integration", "avoidable_admissions", "delayed_discharges")
    base = [dict(r, integration=r["integration"] / 2) for r in ROWS]
    png = charts.charts_png(names, ROWS, base, 156, [(20, "Budget cut: City Council")],
                            "Title", marked=30)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (3 * charts.PNG_CELL[0],
                                                44 + charts.PNG_CELL[1] + 40)
    full = _colours(png)
    for colour in (charts.RUN_COLOUR, charts.BASELINE_COLOUR, charts.SHOCK_COLOUR,
                   charts.MARK_COLOUR):
        assert _near(full, colour), colour
    bare = _colours(charts.charts_png(names, ROWS, None, 156))
    assert _near(bare, charts.RUN_COLOUR)
    assert not _near(bare, charts.SHOCK_COLOUR) and not _near(bare, charts.MARK_COLOUR)


def test_the_rooms_person_card_uses_the_same_glossary_tooltips() -> None:
    from diplomacy_sim.dashboard.room_html import person_html

    html = person_html({"anxiety": 0.3, "strain": 0.1, "ties": [],
                        "beliefs": dict.fromkeys(BELIEFS, 0.5)})
    for key in ("anxiety", "strain", *BELIEFS):
        assert f'data-term="{key}"' in html, key
