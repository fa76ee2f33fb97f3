"""Rough doctrine check over the shipped scenarios (issue 14): not a validation.

For each scenario x doctrine x seed, run with the scenario's shocks and without them
(paired seeds) and record the final outcomes. Prints per-doctrine means, how often each
outcome sits exactly at 0 or 1, the user_outcome-integration correlation per place, how
many initiatives went live, and the shock effect (with minus without).

Run: .venv/bin/python scripts/doctrine_check.py --seeds 4 --out /tmp/check.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_scenario

SCENARIOS = sorted(p.stem for p in Path("scenarios").glob("*.yaml"))
DOCTRINES = ("command", "stewardship", "diplomacy", "fatalism")
KEYS = ("integration", "trust", "user_outcome", "pluralism")


def one(name: str, doctrine: str, seed: int, shocks: bool, overrides: dict | None) -> dict:
    spec = load_scenario(name, overrides=overrides).model_copy(update={"doctrine": doctrine})
    if not shocks:
        spec = spec.model_copy(update={"shocks": []})
    m = DiplomacyModel(spec, seed=seed)
    m.run_to_end()
    row = dict(m.rows[-1])
    row["live"] = sum(1 for e in m.events if e.kind == "live")
    row["agreements"] = sum(1 for e in m.events if e.kind == "agreement")
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], help="dotted=value override")
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)} or None
    runs = []
    for name in SCENARIOS:
        for doctrine in DOCTRINES:
            for seed in range(1, args.seeds + 1):
                for shocks in (True, False):
                    r = one(name, doctrine, seed, shocks, overrides)
                    runs.append({"scenario": name, "doctrine": doctrine, "seed": seed,
                                 "shocks": shocks, **r})
        print(name, file=sys.stderr)
    args.out.write_text(json.dumps(runs))
    report(runs)
    return 0


def report(runs: list[dict]) -> None:
    with_ = [r for r in runs if r["shocks"]]
    print("| scenario | doctrine | integration | trust | user_outcome | pluralism | live |")
    print("|---|---|---|---|---|---|---|")
    for name in SCENARIOS:
        for d in DOCTRINES:
            rs = [r for r in with_ if r["scenario"] == name and r["doctrine"] == d]
            vals = " | ".join(f"{np.mean([r[k] for r in rs]):.3f}" for k in KEYS)
            print(f"| {name} | {d} | {vals} | {np.mean([r['live'] for r in rs]):.1f} |")
    print("\nShare of runs at exactly 0 or 1 (with shocks):")
    for k in ("integration", "trust", "user_outcome", "pluralism", "engagement"):
        v = np.array([r[k] for r in with_])
        print(f"  {k}: at 0 {np.mean(v == 0):.2f}, at 1 {np.mean(v == 1):.2f}")
    print("\nuser_outcome vs integration correlation by place (final, with shocks):")
    for name in SCENARIOS:
        rs = [r for r in with_ if r["scenario"] == name]
        x = np.array([r["integration"] for r in rs])
        y = np.array([r["user_outcome"] for r in rs])
        c = np.corrcoef(x, y)[0, 1] if x.std() > 0 and y.std() > 0 else float("nan")
        print(f"  {name}: r = {c:.2f}")
    print("\nShock effect (with - without, paired seeds), mean over doctrines:")
    for name in SCENARIOS:
        diffs = {k: [] for k in ("integration", "trust", "user_outcome")}
        for r in with_:
            if r["scenario"] != name:
                continue
            twin = next(s for s in runs if not s["shocks"] and s["scenario"] == name
                        and s["doctrine"] == r["doctrine"] and s["seed"] == r["seed"])
            for k in diffs:
                diffs[k].append(r[k] - twin[k])
        print(f"  {name}: " + ", ".join(f"{k} {np.mean(v):+.3f}" for k, v in diffs.items()))
    fat = [r for r in with_ if r["doctrine"] == "fatalism"]
    print(f"\nfatalism: runs with an initiative live {sum(r['live'] > 0 for r in fat)}/{len(fat)}")


if __name__ == "__main__":
    raise SystemExit(main())
