"""End to end at 1280×720 (a 13-inch laptop): the shock panel's defaults, its messages, the
narrative's link to the charts, and a shared link or a dropped setup file restoring a whole
set-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tabs import LAPTOP, Tab

from diplomacy_sim.dashboard import sharing
from diplomacy_sim.dashboard.session import Session, Setup

pytestmark = pytest.mark.browser


@pytest.fixture
def laptop(browser: Any, dashboard_url: str) -> Iterator[Tab]:
    t = Tab(browser, dashboard_url, LAPTOP)
    yield t
    assert t.errors == []
    t.close()


def test_the_default_reorganisation_applies_and_reset_clears_the_message(laptop: Tab,
                                                                         artifacts: Any):
    laptop.step(1)
    laptop.open_panel()
    laptop.choose("Shock", "Reorganisation")
    laptop.button("Inject now").click()
    result = laptop.page.locator(".shock-result")
    result.get_by_text("Reorganisation injected: it lands at the start of week 2").wait_for()
    laptop.page.locator('.charts[data-shocks="1"]').wait_for()
    laptop.choose("Mode", "Merge")  # the defaults of a merge are valid too
    laptop.page.get_by_text("A merge keeps one organisation").wait_for()
    laptop.button("Inject now").click()
    laptop.page.locator('.charts[data-shocks="2"]').wait_for()
    assert "injected" in result.inner_text()
    laptop.page.screenshot(path=str(artifacts / "explorer2_shock_panel_1280x720.png"))
    laptop.button("Reset").click()
    laptop.page.locator('.charts[data-week="0"][data-shocks="0"]').wait_for()
    result.wait_for(state="detached")


def test_clicking_an_event_marks_its_week_on_the_charts(laptop: Tab, artifacts: Any):
    laptop.button("Go to the balcony").click()
    laptop.button("Run to end").click()
    laptop.page.get_by_text("Week 156 of 156").wait_for(timeout=60_000)
    events = laptop.page.locator(".narrative li.event")
    events.first.wait_for()
    assert events.count() > 13, "the whole history, not the last 13 events"
    target = events.nth(3)
    step = target.get_attribute("data-step")
    when = target.inner_text().split(":")[0]
    target.click()
    laptop.page.locator(f'.charts[data-marked-week="{step}"], '
                        f'svg.chart .week-mark[data-week="{step}"]').first.wait_for()
    week = int(step) + 1  # type: ignore[arg-type]
    laptop.page.get_by_text(f"Marked on the charts: week {week}").wait_for()
    assert when.startswith("Week") and str(week) in when
    laptop.page.screenshot(path=str(artifacts / "explorer2_marked_week_1280x720.png"))


def test_a_shared_link_restores_parameters_shocks_and_week(browser: Any, dashboard_url: str):
    made = Session(Setup(seed=7, overrides=(("parameters.trust.loss_ratio", 3.0),)))
    for _ in range(4):
        made.step()
    made.inject({"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.3,
                 "intensity": 0.3})
    for _ in range(5):
        made.step()
    query = sharing.setup_query(sharing.setup_document(made))
    t = Tab(browser, dashboard_url + "?" + query, LAPTOP, ready_text=None)
    try:
        t.page.get_by_text("Set-up restored").wait_for()
        assert t.page.locator(".week-indicator").inner_text().startswith("Week 9 of 156")
        t.page.locator('.charts[data-week="9"][data-shocks="1"]').wait_for()
        t.open_panel()
        assert t.page.get_by_label("Seed (empty: the scenario's own)").input_value() == "7"
        t.page.get_by_role("button", name="▸ Trust").click()
        field = t.page.get_by_label("How much faster broken promises destroy trust than kept "
                                    "build it")
        assert field.input_value() == "3"
        # the page makes the same link again, and a broken link says what is wrong
        t.button("Make a link").click()
        href = t.page.locator("a.share-link").get_attribute("href")
        assert href == "?" + query
        t.page.goto(dashboard_url + "?setup=abc%3Cscript%3E")
        t.page.get_by_text("Link not restored: link `setup`: not a set-up link").wait_for()
        assert t.errors == []
    finally:
        t.close()



def drop_file(tab: Tab, path: Any) -> None:
    """Drop ``path`` on the page's file drop as the system's drag and drop does (through
    Chromium's input layer: a page script cannot make a drop its files can be read from)."""
    box = tab.page.locator(".solara-file-drop").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = tab.context.new_cdp_session(tab.page)
    data = {"items": [], "files": [str(path)], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    cdp.detach()


def test_a_setup_file_saved_by_the_page_and_dropped_back_restores_it(laptop: Tab,
                                                                     tmp_path: Any):
    """Through the server's upload guards, as a real page sends a file: the file the Share
    panel saves restores the run; a file past the size limit is refused in a sentence."""
    laptop.advance(3)
    laptop.open_panel()
    with laptop.page.expect_download() as got:
        laptop.page.get_by_role("button", name="Setup file (YAML)").click()
    saved = tmp_path / "setup.yaml"
    got.value.save_as(saved)
    assert "week: 3" in saved.read_text()
    laptop.button("Reset").click()
    laptop.page.locator('.charts[data-week="0"]').wait_for()
    drop_file(laptop, saved)
    laptop.page.get_by_text("Set-up restored: integrated_discharge, 0 changed parameter(s), "
                            "no shocks, after week 3.").wait_for(timeout=30_000)
    laptop.page.locator('.charts[data-week="3"]').wait_for()
    big = tmp_path / "big.yaml"
    big.write_text(saved.read_text() + "#" * sharing.MAX_DOCUMENT_BYTES)
    drop_file(laptop, big)
    refused = laptop.page.locator(".share-result", has_text="Not restored")
    refused.wait_for(timeout=30_000)
    assert f"{sharing.MAX_DOCUMENT_BYTES:,}" in refused.inner_text()
    laptop.page.locator('.charts[data-week="3"]').wait_for()  # the run is as it was
