"""The validation ensembles take minutes: they run only when asked for (``-m validation``)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "validation" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="ensemble validation: run it with `pytest -m validation`")
    for item in items:
        if item.get_closest_marker("validation") is not None:
            item.add_marker(skip)
