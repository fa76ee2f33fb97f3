"""End to end: the dashboard in headless Debian Chromium (server started by the suite)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tabs import Tab

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser: Any, dashboard_url: str) -> Iterator[Tab]:
    t = Tab(browser, dashboard_url)
    yield t
    assert t.errors == []
    t.close()


def test_page_loads_and_step_updates_the_week_and_a_chart(tab: Tab) -> None:
    assert tab.week_text().startswith("Week 0 of 156")
    before = tab.page.locator("svg.chart").first.get_attribute("data-week")
    tab.step(1)
    assert tab.week_text().startswith("Week 1 of 156")
    assert tab.page.locator("svg.chart").first.get_attribute("data-week") != before
    assert tab.page.locator("svg.chart polyline.run").count() == 3  # a learner starts in a role
    assert tab.errors == []


def test_shock_shows_in_narrative_and_charts_and_screenshot(tab: Tab, artifacts: Any) -> None:
    tab.button("Go to the balcony").click()
    tab.page.locator("svg.chart").nth(6).wait_for()
    for w in range(1, 5):
        tab.step(w)
    tab.open_panel()
    tab.button("Inject now").click()  # the default: a budget cut
    tab.page.get_by_text("injected: it lands at the start of week 5").wait_for()
    tab.page.locator('.charts[data-shocks="1"]').wait_for()
    assert tab.page.locator("svg.chart .shock-mark").count() == 9
    tab.button("Run to end").click()
    tab.page.get_by_text("Week 156 of 156").wait_for()
    tab.page.locator("svg.chart polyline.baseline").first.wait_for()
    assert tab.page.locator("svg.chart .shock-mark").count() == 9
    # the narrative: back to the week the shock landed (step through a fresh run)
    tab.button("Reset").click()
    tab.page.get_by_text("Week 0 of 156").wait_for()
    for w in range(1, 4):
        tab.step(w)
    tab.button("Inject now").click()
    tab.step(4)
    narrative = tab.page.locator(".narrative")
    assert "[injected by the trainer]" in narrative.inner_text()
    assert "Why:" in narrative.inner_text()
    for w in range(5, 12):
        tab.step(w)
    tab.page.screenshot(path=str(artifacts / "dashboard_main_view.png"))


def test_reset_applies_a_changed_parameter(tab: Tab) -> None:
    tab.step(1)
    tab.open_panel()
    tab.page.get_by_role("button", name="▸ Run").click()
    field = tab.page.get_by_label("Horizon of the run")
    field.fill("52")
    field.press("Enter")
    tab.page.get_by_text("Changed, not yet applied").wait_for()
    assert tab.week_text().startswith("Week 1 of 156")  # not before Reset
    field.fill("99999")
    field.press("Enter")
    tab.page.get_by_text("out of range").wait_for()
    field.fill("52")
    field.press("Enter")
    tab.button("Reset").click()  # the scenario has a shock at week 82: refused, explained
    tab.page.get_by_text("Not reset:").wait_for()
    assert tab.week_text().startswith("Week 1 of 156")
    field.fill("120")
    field.press("Enter")
    tab.button("Reset").click()
    tab.page.get_by_text("Week 0 of 120").wait_for()


def test_bad_seed_shows_a_message_and_the_page_keeps_working(tab: Tab) -> None:
    tab.open_panel()
    seed = tab.page.get_by_label("Seed (empty: the scenario's own)")
    seed.fill("abc")
    seed.press("Enter")
    tab.page.get_by_text("“abc” is not a seed").wait_for()
    tab.step(1)
    tab.button("Reset").click()
    tab.page.get_by_text("Week 0 of 156").wait_for()


def test_two_browser_contexts_stay_isolated(browser: Any, dashboard_url: str) -> None:
    a, b = Tab(browser, dashboard_url), Tab(browser, dashboard_url)
    try:
        for w in range(1, 4):
            a.step(w)
        a.button("Go to the balcony").click()
        a.page.locator("svg.chart").nth(6).wait_for()
        assert a.week_text().startswith("Week 3 of")
        assert b.week_text().startswith("Week 0 of")
        assert b.page.locator("svg.chart").count() == 3  # b is still in a role
        b.open_panel()
        seed = b.page.get_by_label("Seed (empty: the scenario's own)")
        seed.fill("5")
        seed.press("Enter")
        b.page.get_by_text("Changed, not yet applied").wait_for()
        b.step(1)
        assert a.page.get_by_text("Changed, not yet applied").count() == 0
        assert a.week_text().startswith("Week 3 of")
        assert a.errors == [] and b.errors == []
    finally:
        a.close()
        b.close()


def test_play_then_pause(tab: Tab) -> None:
    tab.button("Play").click()
    tab.page.locator('.charts[data-week="2"]').wait_for(timeout=20_000)  # advancing
    tab.button("Pause").click()
    tab.button("Play").wait_for(timeout=5_000)  # Pause taken at once
    tab.page.wait_for_timeout(700)  # a step already on its way lands
    week = tab.week_text()
    tab.page.wait_for_timeout(1_200)  # more than two ticks at the default speed
    assert tab.week_text() == week  # stopped
    n = int(week.split()[1])
    tab.step(n + 1)


def _download(tab: Tab, label: str) -> bytes:
    with tab.page.expect_download(timeout=30_000) as info:
        tab.page.get_by_role("button", name=label).click()
    path = info.value.path()
    with open(path, "rb") as f:
        return f.read()


def test_downloads(tab: Tab, tmp_path: Any) -> None:
    import io
    import json

    import pandas as pd

    import diplomacy_sim

    for w in range(1, 4):
        tab.step(w)
    tab.open_panel()
    df = pd.read_csv(io.StringIO(_download(tab, "Timeseries (CSV)").decode()))
    assert len(df) == 3
    lines = _download(tab, "Events (JSONL)").decode().splitlines()
    assert lines and all("cause" in json.loads(x) for x in lines)
    assert _download(tab, "Charts (PNG)").startswith(b"\x89PNG")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_bytes(_download(tab, "Scenario + seed (YAML)"))
    again = diplomacy_sim.run(scenario, steps=3).timeseries
    pd.testing.assert_frame_equal(again[df.columns], df, check_dtype=False)
    tab.step(4)  # a second download is of the run now, not the first one's
    assert len(pd.read_csv(io.StringIO(_download(tab, "Timeseries (CSV)").decode()))) == 4


def test_people_url_parameter_and_field(browser: Any, dashboard_url: str) -> None:
    t = Tab(browser, dashboard_url + "?people=60")
    try:
        t.open_panel()
        field = t.page.get_by_label("People (empty: the scenario's own size)")
        assert field.input_value() == "60"
        t.button("Go to the balcony").click()
        t.page.locator("svg.chart").nth(8).wait_for()
        # the balcony's network is redrawn in its own render context, after the charts: wait
        # for it to show every one of the 60 people rather than counting at once
        t.page.wait_for_function(
            "document.querySelectorAll('svg.network circle').length === 60", timeout=10_000)
        field.fill("abc")
        field.press("Enter")
        t.page.get_by_text("is not a number of people: enter a whole number from 5 to 5000"
                           ).wait_for()
        field.fill("30")
        field.press("Enter")
        t.page.get_by_text("Changed, not yet applied").wait_for()
        t.button("Reset").click()
        t.page.locator('svg.network[data-week="0"]').wait_for()
        t.page.wait_for_function(
            "document.querySelectorAll('svg.network circle').length === 30", timeout=10_000)
        assert t.errors == []
    finally:
        t.close()
