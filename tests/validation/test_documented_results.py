"""The numbers in docs/validation.md describe the model as it is, under the pre-registration.

``docs/figures/validation/results.json`` holds every statistic the page quotes, with the
provenance of the sweeps behind it and the SHA-256 of the pre-registration it was analysed
under. These checks fail when the model code changes without the validation being re-run,
when the pre-registration was edited after the results, or when a verdict on the page
disagrees with the results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diplomacy_sim.analysis.validation import preregistration_sha256
from diplomacy_sim.analysis.validation_design import load_preregistration, places
from diplomacy_sim.provenance import model_fingerprint

pytestmark = pytest.mark.validation

DOCS = Path(__file__).resolve().parents[2] / "docs"
RESULTS = json.loads((DOCS / "figures" / "validation" / "results.json").read_text())
PAGE = (DOCS / "validation.md").read_text()
PREREG = load_preregistration()
RERUN = ("re-run the validation (`make validation`; docs/validation.md, 'How to reproduce')")


def test_the_documented_results_come_from_one_model_code_and_it_is_this_one():
    prov = RESULTS["provenance"]
    assert prov["consistent"] and prov["problems"] == [], prov["problems"]
    codes = {s["model_code"] for s in prov["sweeps"].values()}
    assert codes == {model_fingerprint()}, (
        f"docs/figures/validation/results.json was produced by model code "
        f"{sorted(c[:12] for c in codes)}, but the model here is {model_fingerprint()[:12]}: "
        + RERUN)
    used = {"/".join(Path(k).parts[-2:]) for k in prov["sweeps"]}
    assert used == set(RESULTS["runs"])  # every sweep found was used


def test_the_results_were_analysed_under_this_preregistration():
    assert RESULTS["preregistration"]["sha256"] == preregistration_sha256(), (
        "experiments/validation/preregistration.yaml changed after the results: a "
        "pre-registration is not edited once the runs are in; " + RERUN)


def test_every_pattern_was_run_on_every_place_where_it_applies():
    ran = {(r["key"], r["place"]) for r in RESULTS["patterns"].values()}
    for p in PREREG["patterns"]:
        where = {pl for k, pl in ran if k == p["key"]}
        if p["key"] == "austerity":
            assert where, p["key"]  # places with a council
        else:
            assert where == set(places(PREREG)), (p["key"], sorted(where))
    assert set(RESULTS["face_validity"]) == set(places(PREREG))


def _table(name: str) -> str:
    m = re.search(rf"<!-- BEGIN generated:{name} -->\n(.*?)<!-- END generated:{name} -->",
                  PAGE, re.S)
    assert m, f"docs/validation.md has no generated block `{name}`: " + RERUN
    return m.group(1)


def test_the_summary_table_gives_the_verdict_of_every_pattern_in_every_place():
    rows = [r for r in _table("summary").splitlines() if re.match(r"^\| \d+ \|", r)]
    header = _table("summary").splitlines()[0].split("|")[4:-2]
    cols = [h.strip() for h in header]
    assert len(rows) == len(RESULTS["summary"])
    for row, (key, s) in zip(rows, RESULTS["summary"].items(), strict=True):
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert cells[0] == str(s["number"]) and cells[2] == s["role"], (key, row)
        for col, cell in zip(cols, cells[3:-1], strict=True):
            want = f"**{s['places'][col]}**" if col in s["places"] else "n/a"
            assert cell == want, (key, col, cell, want, RERUN)
        assert cells[-1] == s["reproduced_in"]


def test_the_face_validity_table_gives_each_places_verdict():
    for place, f in RESULTS["face_validity"].items():
        row = next(r for r in _table("face_validity").splitlines()
                   if r.startswith(f"| {place} |"))
        assert row.rstrip().endswith(f"**{f['verdict']}** |"), (place, row, RERUN)


def test_the_page_says_which_patterns_are_calibration_targets():
    for p in PREREG["patterns"]:
        if p["role"] == "calibration":
            assert re.search(rf"\| {p['number']} \| [^|]+ \| calibration \|", PAGE), p["key"]
