"""Shared fixtures, and the Hypothesis profile every property test runs under."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from diplomacy_sim.scenario.loader import load_scenario
from diplomacy_sim.scenario.schema import Scenario
from serving import CHROMIUM, CHROMIUM_ARGS

# Property tests are derandomised: the examples come from a fixed seed derived from each
# test, so a test's verdict does not depend on luck and a failure reproduces anywhere (the
# blob printed with a failure replays it with @reproduce_failure). CI=true always selects "ci",
# and so does the default elsewhere. Locally, HYPOTHESIS_PROFILE=explore draws fresh examples each
# run, to hunt for new counterexamples (then pin what it finds with @example).
settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
settings.register_profile("explore", derandomize=False, print_blob=True)
PROFILE = "ci" if os.environ.get("CI") == "true" else os.environ.get("HYPOTHESIS_PROFILE") or "ci"
settings.load_profile(PROFILE)


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' user cache (the model fingerprint's, provenance.py) is a folder of their
    own, for this process and every process it starts: nothing is left in the real one."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def discharge() -> Scenario:
    return load_scenario("integrated_discharge")




@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Debian Chromium for every browser test of the run (never `playwright install`).

    Playwright's sync API allows one instance per thread at a time, so the explorer's and
    the training room's tests share this one; each test opens its own contexts."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
