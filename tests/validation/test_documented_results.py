"""The numbers in docs/validation.md describe the model as it is.

``docs/figures/validation/results.json`` holds every statistic the page quotes, with the
provenance of the sweeps behind it. These checks fail when the model code changes without
the validation being re-run, or when a verdict on the page disagrees with the results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diplomacy_sim.provenance import model_fingerprint

pytestmark = pytest.mark.validation

DOCS = Path(__file__).resolve().parents[2] / "docs"
RESULTS = json.loads((DOCS / "figures" / "validation" / "results.json").read_text())
PAGE = (DOCS / "validation.md").read_text()
RERUN = ("re-run the validation sweeps and the analysis (docs/validation.md, 'How to "
         "reproduce') and update the page")
PATTERNS = {  # pattern number on the page -> keys in results.json
    1: ["reorganisation_dip"], 2: ["relational_first"], 3: ["trust_asymmetry"],
    4: ["leader_churn"], 5: ["going_cold"], 6: ["doctrines"],
    7: ["disturbance_convergence", "disturbance_integration"], 8: ["austerity"],
    9: ["inertia_small_wins"],
}


def test_the_documented_results_come_from_one_model_code_and_it_is_this_one():
    prov = RESULTS["provenance"]
    assert prov["consistent"] and prov["problems"] == [], prov["problems"]
    codes = {s["model_code"] for s in prov["sweeps"].values()}
    assert codes == {model_fingerprint()}, (
        f"docs/figures/validation/results.json was produced by model code "
        f"{sorted(c[:12] for c in codes)}, but the model here is {model_fingerprint()[:12]}: "
        + RERUN)
    assert {Path(k).name for k in prov["sweeps"]} == set(RESULTS["runs"])  # every sweep used


@pytest.mark.parametrize("number", sorted(PATTERNS))
def test_each_pattern_heading_and_summary_row_give_the_verdict_of_the_results(number):
    verdicts = {RESULTS["patterns"][k]["verdict"] for k in PATTERNS[number]}
    [verdict] = verdicts  # a pattern's parts share one verdict on the page
    heading = re.search(rf"^## {number}\. (.+)$", PAGE, re.M)
    assert heading and f"— {verdict}" in heading.group(1), (heading, verdict, RERUN)
    row = re.search(rf"^\| {number} \|(.+)$", PAGE, re.M)
    assert row and f"**{verdict}**" in row.group(1).split("|")[-2], (row, verdict, RERUN)
