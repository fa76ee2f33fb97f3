"""The explorer on a 13-inch laptop (1280×720) and a projector (1600×1000), in headless
Debian Chromium: what the first screen holds, presentation mode's type, the glossary's
links. Screenshots of each are saved under test-artifacts/ (path printed) for a person
to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tabs import LAPTOP, PROJECTOR, Tab

pytestmark = pytest.mark.browser


TEXT_SIZES = """() => {
  // every visible text on the page: [effective px, text]; SVG lettering is scaled by
  // the drawing's transform to the screen, HTML text is its computed font size
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('title, style, script')) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden') continue;
    let px = parseFloat(cs.fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      px = px * Math.hypot(m.a, m.b);
    }
    out.push([px, text.slice(0, 50)]);
  }
  return out;
}"""


class Page(Tab):
    """A tab at a given screen size, with what the layout tests measure."""

    def in_first_screen(self, locator: Any) -> bool:
        box = locator.bounding_box()
        vp = self.page.viewport_size
        return (box is not None and box["y"] >= 0 and box["x"] >= 0
                and box["y"] + box["height"] <= vp["height"]
                and box["x"] + box["width"] <= vp["width"])

    def shot(self, folder: Path, name: str) -> Path:
        self.page.wait_for_timeout(400)  # the islands' last redraw
        path = folder / name
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path


@pytest.fixture
def laptop(browser: Any, dashboard_url: str) -> Iterator[Page]:
    p = Page(browser, dashboard_url, LAPTOP)
    yield p
    assert p.errors == []
    p.close()


def _holds_the_essentials(p: Page) -> None:
    page = p.page
    assert p.in_first_screen(page.locator(".week-indicator"))
    for name in ("Step", "Play", "Run to end", "Reset"):
        assert p.in_first_screen(p.button(name)), name
    charts = page.locator("svg.chart")
    whole = sum(p.in_first_screen(charts.nth(i)) for i in range(charts.count()))
    assert whole >= 2, f"only {whole} whole charts on the first screen"
    newest = page.locator(".narrative li").first
    assert p.in_first_screen(newest), "the newest event is below the fold"
    assert page.get_by_text("This website runs on").count() == 0  # no badge over anything


def test_the_first_laptop_screen_holds_the_week_controls_charts_and_newest_events(
        laptop: Page, artifacts: Path) -> None:
    laptop.advance(6)
    assert laptop.page.locator(".setup-panel.folded").count() == 1  # forms folded away
    _holds_the_essentials(laptop)
    laptop.shot(artifacts, "explorer_role_1280x720.png")
    laptop.button("Go to the balcony").click()
    laptop.page.locator("svg.chart").nth(8).wait_for()
    _holds_the_essentials(laptop)
    laptop.button("Set-up & shocks").click()
    laptop.button("Inject now").click()
    laptop.page.get_by_text("injected: it lands").wait_for()
    laptop.button("Hide set-up").click()
    laptop.advance(10)
    laptop.page.locator('.charts[data-shocks="1"]').wait_for()
    _holds_the_essentials(laptop)
    laptop.shot(artifacts, "explorer_balcony_1280x720.png")


def test_chart_lettering_on_a_laptop_is_readable(laptop: Page) -> None:
    laptop.button("Go to the balcony").click()
    laptop.page.locator("svg.chart").nth(8).wait_for()
    sizes = laptop.page.evaluate(TEXT_SIZES)
    chart = [px for px, _ in laptop.page.locator("svg.chart").first.evaluate(
        "s => [...s.querySelectorAll('text')].map(t => [parseFloat(getComputedStyle(t)"
        ".fontSize) * t.getScreenCTM().a, t.textContent])")]
    assert chart and min(chart) >= 11.5, f"chart lettering down to {min(chart):.1f} px"
    assert sizes


def test_presentation_mode_has_no_text_under_18px_and_puts_charts_beside_events(
        browser: Any, dashboard_url: str, artifacts: Path) -> None:
    for viewport in (LAPTOP, PROJECTOR):
        p = Page(browser, dashboard_url, viewport)
        try:
            p.advance(3)
            p.button("Presentation").click()
            p.page.locator(".presentation-mode").wait_for()
            assert p.page.locator(".setup-panel.folded").count() == 1
            p.page.wait_for_timeout(500)  # the charts redrawn in large type
            small = [(round(px, 1), t) for px, t in p.page.evaluate(TEXT_SIZES) if px < 18]
            assert small == [], f"text under 18 px in a role at {viewport}: {small[:8]}"
            p.button("Go to the balcony").click()
            p.page.locator("svg.chart").nth(8).wait_for()
            p.advance(5)
            small = [(round(px, 1), t) for px, t in p.page.evaluate(TEXT_SIZES) if px < 18]
            assert small == [], f"text under 18 px at {viewport}: {small[:8]}"
            chart = p.page.locator("svg.chart").first.bounding_box()
            story = p.page.locator(".what-happened").bounding_box()
            assert chart and story and story["x"] >= chart["x"] + chart["width"]  # beside
            assert abs(story["y"] - chart["y"]) < 80
            _holds_the_essentials(p)
            size = f"{viewport['width']}x{viewport['height']}"
            p.shot(artifacts, f"explorer_presentation_{size}.png")
            p.button("Leave presentation").click()
            p.page.locator(".presentation-mode").wait_for(state="detached")
            assert p.errors == []
        finally:
            p.close()


def test_presentation_mode_from_a_link_and_a_bad_flag_is_ignored_with_a_message(
        browser: Any, dashboard_url: str) -> None:
    p = Page(browser, dashboard_url + "?present=1", LAPTOP)
    try:
        p.page.locator(".presentation-mode").wait_for()
        assert p.page.locator("svg.chart").count() == 9  # a wall shows the balcony
    finally:
        p.close()
    p = Page(browser, dashboard_url + "?present=%3Cscript%3E", LAPTOP)
    try:
        p.page.get_by_text("“present” must be 1 or 0").wait_for()
        assert p.page.locator(".presentation-mode").count() == 0
        assert p.errors == []
    finally:
        p.close()


def test_a_card_field_has_a_tooltip_and_links_to_its_glossary_entry(laptop: Page) -> None:
    laptop.advance(1)
    term = laptop.page.locator('.person-card a.term[data-term="anxiety"]')
    assert "unsettled" in (term.get_attribute("title") or "")
    entry = laptop.page.locator("#term-anxiety")
    assert not laptop.in_first_screen(entry)
    term.click()
    laptop.page.wait_for_function(
        "() => { const r = document.getElementById('term-anxiety').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }", timeout=5_000)
    assert "Sue Goss" in entry.inner_text()
    laptop.advance(1)  # the page still works after following the link


def test_the_projector_screenshots(browser: Any, dashboard_url: str, artifacts: Path) -> None:
    p = Page(browser, dashboard_url, PROJECTOR)
    try:
        p.advance(8)
        _holds_the_essentials(p)
        p.shot(artifacts, "explorer_role_1600x1000.png")
        p.button("Go to the balcony").click()
        p.page.locator("svg.chart").nth(8).wait_for()
        p.button("Set-up & shocks").click()
        p.button("Inject now").click()
        p.page.get_by_text("injected: it lands").wait_for()
        p.shot(artifacts, "explorer_balcony_with_panel_1600x1000.png")
        p.button("Hide set-up").click()
        p.advance(30)
        _holds_the_essentials(p)
        p.shot(artifacts, "explorer_balcony_1600x1000.png")
        assert p.errors == []
    finally:
        p.close()


def test_finding_a_person_by_typing_part_of_a_job(laptop: Page) -> None:
    search = laptop.page.locator(".person-search input")
    search.fill("social worker")
    laptop.page.locator(".picker-count", has_text="match").wait_for()  # searched on the server
    laptop.page.locator(".person-picker .v-select__slot").click()
    options = laptop.page.locator(".v-menu__content .v-list-item__title")
    options.first.wait_for()
    texts = options.all_inner_texts()
    headers = laptop.page.locator(".v-menu__content .v-subheader").all_inner_texts()
    assert texts and all("Social Worker" in t for t in texts[1:])  # [0]: the current person
    assert headers and all("·" in h for h in headers[1:])  # "Organisation · role" groups
    options.nth(len(texts) - 1).click()
    laptop.page.locator(".person-card", has_text=texts[-1].split(",")[0]).wait_for()
