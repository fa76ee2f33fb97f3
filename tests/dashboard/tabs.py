"""One browser context (one learner or trainer) on the explorer: the browser tests' one
driver, shared by test_browser, test_layout and test_browser_sharing."""

from __future__ import annotations

from typing import Any

LAPTOP = {"width": 1280, "height": 720}
PROJECTOR = {"width": 1600, "height": 1000}


class Tab:
    """A context of its own at ``viewport``, on ``url``, recording page errors; ready once
    the week indicator shows (``ready_text``, e.g. "Week 0 of", when given)."""

    def __init__(self, browser: Any, url: str, viewport: dict[str, int] | None = None,
                 ready_text: str | None = "Week 0 of") -> None:
        self.context = browser.new_context(viewport=viewport or PROJECTOR)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        ready = self.page.locator(".week-indicator")
        (ready.get_by_text(ready_text) if ready_text else ready).wait_for(timeout=30_000)

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def step(self, week: int) -> None:
        """One Step, which must bring the page to ``week``."""
        self.button("Step").click()
        self.page.locator(f'.charts[data-week="{week}"]').wait_for()
        # the week and the charts are separate islands, redrawn one after the other
        self.page.locator(".week-indicator", has_text=f"Week {week} of").wait_for()

    def advance(self, weeks: int) -> None:
        """``weeks`` Steps from wherever the page is."""
        for _ in range(weeks):
            self.step(int(self.page.locator(".charts").first.get_attribute("data-week")
                          or 0) + 1)

    def open_panel(self) -> None:
        """Unfold the set-up, shock and export panel (folded away at first)."""
        self.button("Set-up & shocks").click()
        self.page.locator(".setup-panel:not(.folded)").wait_for()

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the select labelled ``label``."""
        self.page.locator(".v-select", has=self.page.get_by_text(label, exact=True)
                          ).first.click()
        self.page.locator(".menuable__content__active .v-list-item",
                          has_text=option).first.click()

    def week_text(self) -> str:
        return str(self.page.locator(".week-indicator").inner_text())

    def close(self) -> None:
        self.context.close()
