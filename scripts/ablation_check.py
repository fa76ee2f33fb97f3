"""Rough doctrine-component ablation over the shipped scenarios (issue 14): not a validation.

Removes one component of a doctrine at a time through `parameters.doctrines.<doctrine>.<field>`
(paired seeds) and prints the mean change in
final integration, trust and user_outcome with its standard error, over all six places.

Run: .venv/bin/python scripts/ablation_check.py --seeds 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_scenario

SCENARIOS = sorted(p.stem for p in Path("scenarios").glob("*.yaml"))
ABLATIONS = {
    "diplomacy": {"no ceding": {"cedes": 0.0}, "no agree-to-disagree": {"agrees_to_disagree": 0.0},
                  "no attending to the ignored": {"attends_to_ignored": False},
                  "no courting": {"courts": False}, "informal as others": {"informal_factor": 1.0}},
    "command": {"no mandates": {"asks_mandate": False}, "no lead": {"led": False,
                                                                   "asks_mandate": False}},
    "stewardship": {"own agenda at table": {"own_agenda_at_table": 1.0},
                    "usual anchoring": {"anchoring_factor": 1.0}},
    "fatalism": {"full joint share": {"joint_share": 1.0}},
}
KEYS = ("integration", "trust", "user_outcome")


def final(name: str, doctrine: str, seed: int, change: dict | None) -> dict:
    overrides = {f"parameters.doctrines.{doctrine}.{k}": v for k, v in (change or {}).items()}
    spec = load_scenario(name, overrides=overrides or None)
    m = DiplomacyModel(spec.model_copy(update={"doctrine": doctrine}), seed=seed)
    m.run_to_end()
    return m.rows[-1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    print("| doctrine | component removed | Δ integration | Δ trust | Δ user_outcome |")
    print("|---|---|---|---|---|")
    for doctrine, abl in ABLATIONS.items():
        base = {(n, s): final(n, doctrine, s, None) for n in SCENARIOS
                for s in range(1, args.seeds + 1)}
        for label, change in abl.items():
            d = {k: [] for k in KEYS}
            for (n, s), row in base.items():
                other = final(n, doctrine, s, change)
                for k in KEYS:
                    d[k].append(other[k] - row[k])
            cells = " | ".join(
                f"{np.mean(v):+.3f} ± {np.std(v, ddof=1) / np.sqrt(len(v)):.3f}" for v in d.values())
            print(f"| {doctrine} | {label} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
