"""The shock form offers exactly what the model accepts; the narrative keeps the whole history,
merged and filtered; one week numbering in the files, the page and the CLI."""

from __future__ import annotations

import itertools
import json

import ipyvuetify as v
import pytest
import solara
from click.testing import CliRunner

from diplomacy_sim.cli import main
from diplomacy_sim.dashboard import app, components
from diplomacy_sim.dashboard.components import filter_events, merge_repeats, when_text
from diplomacy_sim.dashboard.session import shock_fields, shock_targets
from diplomacy_sim.domain.events import week_number
from diplomacy_sim.domain.shocks import can_merge, merge_rule_text
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import SCENARIO_DIR, ScenarioError, load_scenario

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


# --------------------------------------------------------------------------- the shock rule
def _orgs(name: str) -> list[tuple[str, str, str]]:
    return [(o.id, o.name, o.kind) for o in load_scenario(name).organisations]


def _merge_cases():
    for name in SHIPPED:
        orgs = _orgs(name)
        ids = [o[0] for o in orgs]
        for n in (1, 2):
            for absorbed in itertools.combinations(ids, n):
                for into in ids:
                    yield pytest.param(name, list(absorbed), into, id=f"{name}:{'+'.join(absorbed)}>{into}")


@pytest.mark.parametrize("name,absorbed,into", list(_merge_cases()))
def test_the_form_offers_a_merge_exactly_when_the_model_accepts_it(name, absorbed, into):
    orgs = _orgs(name)
    kinds = {i: k for i, _, k in orgs}
    f_orgs, f_into = (next(f for f in shock_fields("reorganisation") if f.name == n)
                      for n in ("organisations", "into"))
    offered_orgs = {i for i, _ in shock_targets("reorganisation", f_orgs, orgs,
                                                {"mode": "merge"})}
    offered_into = {i for i, _ in shock_targets("reorganisation", f_into, orgs,
                                                {"mode": "merge", "organisations": absorbed})}
    model = DiplomacyModel(load_scenario(name))
    shock = {"kind": "reorganisation", "mode": "merge", "organisations": absorbed, "into": into}
    allowed = into not in absorbed and all(can_merge(kinds[a], kinds[into]) for a in absorbed)
    if allowed:
        model.inject(shock)  # the server accepts it...
        assert into in offered_into and set(absorbed) <= offered_orgs  # ...and the form offers it
    else:
        if into not in absorbed:
            with pytest.raises(ScenarioError) as info:
                model.inject(shock)
            assert any("cannot be merged into" in p for p in info.value.problems)
        assert into not in offered_into


def test_a_merge_without_into_names_what_is_allowed_or_why_nothing_is():
    m = DiplomacyModel(load_scenario("integrated_discharge"))
    with pytest.raises(ScenarioError) as info:
        m.inject({"kind": "reorganisation", "mode": "merge",
                   "organisations": ["home_first_charity"]})
    (p,) = info.value.problems
    assert "a merge needs `into`" in p and "allowed here: northgate_hospital, city_council, " \
        "shelter_link" in p
    with pytest.raises(ScenarioError) as info:
        m.inject({"kind": "reorganisation", "mode": "merge",
                   "organisations": ["northgate_hospital"]})
    (p,) = info.value.problems
    assert "no organisation here can absorb northgate_hospital" in p
    assert merge_rule_text().rstrip(".") in p
    with pytest.raises(ScenarioError, match="a restructure keeps every organisation"):
        m.inject({"kind": "reorganisation", "mode": "restructure",
                  "organisations": ["city_council"], "into": "northgate_hospital"})


# --------------------------------------------------------------------------- the form
def _select(rc, label: str) -> v.Select:
    (s,) = [w for w in rc.find(v.Select).widgets if str(w.label).startswith(label)]
    return s


def _click(rc, text: str) -> None:
    (b,) = [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                          if isinstance(c, str)]]
    b.click()


def _alerts(rc) -> list[str]:
    return [str(a.children[0]) for a in rc.find(v.Alert, class_="shock-result").widgets]


@pytest.mark.parametrize("mode", ["restructure", "merge", "abolish"])
def test_every_reorganisation_default_is_accepted(page, mode):
    rc, session = page
    _select(rc, "Shock").v_model = "reorganisation"
    _select(rc, "Mode").v_model = mode
    _click(rc, "Inject now")
    assert len(session.injected) == 1, _alerts(rc)
    assert session.injected[0]["mode"] == mode
    assert "injected: it lands at the start of week 1" in _alerts(rc)[0]


def test_the_organisations_picker_does_not_keep_its_first_entry(page):
    rc, session = page
    picker = _select(rc, "Organisations")
    first, second = picker.items[0]["value"], picker.items[1]["value"]
    assert picker.v_model == [first]
    picker.v_model = [first, second]
    _select(rc, "Organisations").v_model = [second]
    assert _select(rc, "Organisations").v_model == [second]
    _click(rc, "Inject now")
    assert session.injected[0]["organisations"] == [second]


def test_the_message_is_cleared_by_reset_and_by_another_scenario(page):
    rc, _ = page
    _click(rc, "Inject now")
    assert _alerts(rc)
    _click(rc, "Reset")
    assert _alerts(rc) == []
    _click(rc, "Inject now")
    assert _alerts(rc)
    _select(rc, "Scenario").v_model = "icb_merger"
    assert _alerts(rc) == []


# --------------------------------------------------------------------------- the narrative
def _ev(step, text="X missed its commitment.", kind="broken_promise", actors=("x",), cause="c"):
    return {"step": step, "kind": kind, "text": text, "cause": cause, "actors": list(actors),
            "injected": False}


def test_repeats_are_merged_with_their_span_count_and_latest_cause():
    events = [_ev(10, cause="a"), _ev(11, cause="b"), _ev(12, cause="c"),
              _ev(12, text="Y is now live.", kind="live", actors=("y",)), _ev(60)]
    merged = merge_repeats(events)
    assert [(e["step"], e["last"], e["count"]) for e in merged] == [(10, 12, 3), (12, 12, 1),
                                                                    (60, 60, 1)]
    assert merged[0]["cause"] == "c", "the reason as it stands at the latest repeat"
    assert when_text(merged[0]) == "Weeks 11–13 (3 times)"
    assert when_text(merged[1]) == "Week 13"
    assert sum(e["count"] for e in merged) == len(events), "nothing is lost"


def test_the_filter_keeps_an_organisations_events_of_a_kind():
    events = [_ev(1, actors=("x", "y")), _ev(2, kind="live", actors=("y",)), _ev(3)]
    assert filter_events(events, "y") == events[:2]
    assert filter_events(events, "y", "live") == [events[1]]
    assert filter_events(events, None, "broken_promise") == [events[0], events[2]]


def _narrative(rc):
    (w,) = [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "entries")]
    return w


def test_the_narrative_keeps_the_whole_history_and_a_click_marks_the_week(page):
    rc, session = page
    _click(rc, "Go to the balcony")
    _click(rc, "Run to end")
    n = _narrative(rc)
    merged = merge_repeats([e.to_dict() for e in session.model.events])
    assert len(n.entries) == min(len(merged), app.NARRATIVE_PAGE)
    assert sum(e["count"] for e in merged) == len(session.model.events)
    target = n.entries[-1]
    n.vue_mark({"step": target["step"]})
    charts = [w for w in rc.find(solara.widgets.HTML).widgets
              if 'class="charts"' in (w.unsafe_innerHTML or "")]
    assert charts and f'data-marked-week="{target["step"]}"' in charts[0].unsafe_innerHTML
    n.vue_mark({"step": "<script>"})  # a page's value: refused, the mark stays
    assert f'data-marked-week="{target["step"]}"' in charts[0].unsafe_innerHTML
    org = session.model.state.orgs.ids[0]
    rc.find(v.Select, class_="narrative-org").widget.v_model = org
    want = merge_repeats(filter_events([e.to_dict() for e in session.model.events], org))
    assert len(_narrative(rc).entries) == min(len(want), app.NARRATIVE_PAGE)


def test_texts_from_the_model_reach_the_page_as_text_only():
    hostile = "<img src=x onerror=alert(1)>"
    entries = components.narrative_entries(merge_repeats([_ev(1, text=hostile, cause=hostile)]))
    assert entries[0]["text"] == hostile  # plain data: the template interpolates it (escaped)
    template = (components.Path(components.__file__).parent / "vue" / "narrative.vue").read_text()
    assert "v-html" not in template


# --------------------------------------------------------------------------- week numbering
def test_one_shock_has_one_week_in_the_file_the_page_and_the_cli(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", "safeguarding_hub", "--steps", "45", "--quiet",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    in_file = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    (election,) = [e for e in in_file if e["kind"] == "election"]
    assert "step" not in election
    assert f"week {election['week']} election" in res.stdout
    m = DiplomacyModel(load_scenario("safeguarding_hub"))
    for _ in range(45):
        m.step()
    (ev,) = [e for e in m.events if e.kind == "election"]
    assert week_number(ev.step) == election["week"] == 41
    page = components.event_item_html(ev.to_dict())
    assert f"Week {election['week']}:" in page
    (entry,) = [e for e in components.narrative_entries(merge_repeats([ev.to_dict()]))]
    assert entry["when"] == f"Week {election['week']}"
    ts = (out / "timeseries.csv").read_text().splitlines()
    assert ts[0].startswith("week,") and ts[1].startswith("1,") and ts[-1].startswith("45,")


def test_agreeing_to_disagree_is_explained_by_what_differed_between_the_parties():
    import numpy as np

    from diplomacy_sim.domain.events import agree_to_disagree_cause

    labels = ["Discharge", "Housing", "Prevention"]
    advances = np.array([0.5, 0.5, 0.0])
    apart = agree_to_disagree_cause(["Hospital", "Council", "Charity"],
                                    np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3],
                                              [0.1, 0.5, 0.4]]), advances, labels)
    assert apart == ("The parties agreed to disagree, each signing up for its own reason: "
                     "Hospital for Discharge; Council and Charity for Housing.")
    alike = agree_to_disagree_cause(["Hospital", "Council"],
                                    np.array([[0.8, 0.1, 0.1], [0.4, 0.3, 0.3]]), advances,
                                    labels)
    assert alike == ("The parties agreed to disagree: all signed up for Discharge, but value "
                     "it unequally (Hospital most, 80% of its agenda against 40%).")
