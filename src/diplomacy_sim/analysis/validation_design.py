"""The validation experiments, written from the pre-registration and the shipped scenarios.

``experiments/validation/preregistration.yaml`` declares each experiment in words (what it
varies, on which places, how many replications). This module turns those rules into ordinary
experiment files, one per experiment and place (``experiments/validation/<place>/<exp>.yaml``)
plus the cross-place ones (ablation, doctrine map), reading each place's organisations,
initiatives and horizon from its scenario. Nothing is chosen by hand per place, so the
experiments follow the scenarios when those change; ``tests/validation`` checks that the
shipped files are what this module writes.

``diplomacy-sim validate-patterns --write-experiments`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from diplomacy_sim.scenario.loader import SCENARIO_DIR, load_scenario
from diplomacy_sim.shipped import shipped_dir

EXPERIMENT_DIR = shipped_dir("experiments") / "validation"
"""The shipped validation experiments and the pre-registration (written in a source checkout
by ``--write-experiments``; read-only package data in an installed wheel)."""
PREREGISTRATION = EXPERIMENT_DIR / "preregistration.yaml"
HEADER = ("# Written by `diplomacy-sim validate-patterns --write-experiments` from\n"
          "# experiments/validation/preregistration.yaml and scenarios/{place}.yaml: do not edit\n"
          "# by hand (tests/validation checks this file is what that command writes).\n")

MASTER_SEEDS = {
    "baseline": 5201, "baseline_no_shocks": 5201,  # the same seeds: paired counterfactual
    "reorganisation": 5202, "leader_churn": 5203, "workstreams": 5204, "disturbance": 5205,
    "austerity": 5206, "small_wins": 5207, "ablation": 5208, "doctrine_map": 5209,
}
DOCTRINES = ["command", "stewardship", "diplomacy", "fatalism"]
DISTURBANCE_INTENSITIES = [0.0, 0.1, 0.25, 0.4, 0.6, 0.9]
AUSTERITY_CUTS = [0.0, 0.10, 0.25, 0.49]
HAZARDS = [0.0027, 0.021]
SMALL_WIN_COST = 0.05
REORGANISATION_WEEK = 26
CUT_WEEK = 13
PULSE_EVERY = 13


def load_preregistration(path: str | Path = PREREGISTRATION) -> dict[str, Any]:
    """The pre-registration as a mapping (read-only use)."""
    data = yaml.safe_load(Path(path).read_text())
    if not isinstance(data, dict) or "patterns" not in data:
        raise ValueError(f"{path}: not a pre-registration (no `patterns`)")
    return data


def places(prereg: dict[str, Any] | None = None) -> list[str]:
    """The shipped places (every scenario in scenarios/), sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class Place:
    """What the experiment rules need to know about one shipped scenario."""

    name: str
    steps: int
    doctrine: str
    orgs: list[dict[str, Any]]
    """id, kind, budget of each organisation, in file order."""
    initiatives: list[dict[str, Any]]
    """id, parties, cost of each initiative, in file order."""
    cold_after_default: int
    cold_after_max: int

    @property
    def councils(self) -> list[str]:
        return [o["id"] for o in self.orgs if o["kind"] == "council"]

    @property
    def largest_two(self) -> list[str]:
        order = sorted(range(len(self.orgs)), key=lambda i: (-float(self.orgs[i]["budget"]), i))
        return [self.orgs[i]["id"] for i in order[:2]]

    @property
    def small_win(self) -> dict[str, Any]:
        order = sorted(range(len(self.initiatives)),
                       key=lambda i: (len(self.initiatives[i]["parties"]),
                                      float(self.initiatives[i]["cost"]), i))
        return self.initiatives[order[0]]


def place(name: str) -> Place:
    from diplomacy_sim.scenario.schema import EngagementParams

    s = load_scenario(name)
    field = EngagementParams.model_fields["cold_after"]
    upper = max(int(m.le) for m in field.metadata if hasattr(m, "le") and m.le is not None)
    return Place(
        name=name, steps=s.steps, doctrine=str(s.doctrine),
        orgs=[{"id": o.id, "kind": o.kind, "budget": float(o.budget)} for o in s.organisations],
        initiatives=[{"id": i.id, "parties": list(i.parties), "cost": float(i.cost)}
                     for i in s.initiatives],
        cold_after_default=int(s.parameters.engagement.cold_after), cold_after_max=upper,
    )


def short_name(exp: str, place_name: str) -> str:
    """An experiment's name: the experiment, then the place's initials (at most 60 chars)."""
    initials = "".join(w[0] for w in place_name.split("_"))
    return f"{exp}_{initials}"[:60]


def _exp(name: str, place_name: str, title: str, description: str, replications: int,
         **rest: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": short_name(name, place_name), "title": title,
        "description": description, "base": place_name,
        "master_seed": MASTER_SEEDS[name], "seeds": "common",
        "replications": int(replications),
    }
    out.update(rest)
    return out


def _pulses(p: Place, intensity: float) -> list[dict[str, Any]]:
    if intensity == 0:
        return []
    return [{"kind": "demand_surge", "at": w, "multiplier": 1.0, "duration": 1,
             "intensity": intensity, "label": "Disturbance"}
            for w in range(0, p.steps, PULSE_EVERY)]


def place_experiments(prereg: dict[str, Any], p: Place) -> dict[str, dict[str, Any]]:
    """Every pre-registered experiment of one place, by experiment name."""
    reps = {k: int(v["replications"]) for k, v in prereg["experiments"].items()}
    ts = "timeseries"
    out: dict[str, dict[str, Any]] = {}
    out["baseline"] = _exp(
        "baseline", p.name, f"Validation baseline: {p.name} as shipped, four doctrines",
        f"The {p.name} scenario with its own shocks under every doctrine (patterns 2, 3, 6, "
        "9, face validity, outcomes at bounds).", reps["baseline"], outputs=ts,
        doctrines=DOCTRINES)
    out["baseline_no_shocks"] = _exp(
        "baseline_no_shocks", p.name, f"Validation baseline without shocks: {p.name}",
        f"The {p.name} scenario with its shocks removed, under its own doctrine "
        f"({p.doctrine}), same seeds as the baseline (face validity).",
        reps["baseline_no_shocks"], outputs=ts, doctrines=[p.doctrine],
        shock_regimes={"none": []})
    out["reorganisation"] = _exp(
        "reorganisation", p.name, f"Validation 1: reorganisation dip, {p.name}",
        f"Diplomacy, no other shocks; at week {REORGANISATION_WEEK} the two largest "
        f"organisations ({', '.join(p.largest_two)}) are restructured; paired with no shock.",
        reps["reorganisation"], outputs=ts, doctrines=["diplomacy"],
        shock_regimes={"none": [], "reorganisation": [
            {"kind": "reorganisation", "at": REORGANISATION_WEEK, "mode": "restructure",
             "organisations": p.largest_two, "label": "System reorganisation"}]})
    out["leader_churn"] = _exp(
        "leader_churn", p.name, f"Validation 4: leader churn, {p.name}",
        "Diplomacy with the place's shocks; executives leave at the weekly hazard of an "
        "11-month or a 7-year median tenure, no pressure feedback.", reps["leader_churn"],
        outputs="summary", doctrines=["diplomacy"],
        factors={"parameters.turnover.executive_hazard": HAZARDS,
                 "parameters.turnover.pressure_gain": [0.0]})
    if len(p.initiatives) >= 2:
        out["workstreams"] = _exp(
            "workstreams", p.name, f"Validation 5: going cold, {p.name}",
            "Diplomacy, no shocks; workstreams parallel or sequential; partners go cold "
            f"after {p.cold_after_default} weeks (default) or never ({p.cold_after_max}).",
            reps["workstreams"], outputs="summary", doctrines=["diplomacy"],
            shock_regimes={"calm": []},
            factors={"workstreams": ["parallel", "sequential"],
                     "parameters.engagement.cold_after": [p.cold_after_default,
                                                          p.cold_after_max]})
    out["disturbance"] = _exp(
        "disturbance", p.name, f"Validation 7: disturbance, {p.name}",
        f"Diplomacy, no other shocks; a pure disturbance pulse every {PULSE_EVERY} weeks at "
        "six intensities.", reps["disturbance"], outputs="summary", doctrines=["diplomacy"],
        shock_regimes={f"d{round(x * 100):03d}": _pulses(p, x) for x in DISTURBANCE_INTENSITIES})
    if p.councils:
        out["austerity"] = _exp(
            "austerity", p.name, f"Validation 8: austerity, {p.name}",
            f"Diplomacy, no other shocks; at week {CUT_WEEK} the budgets of "
            f"{', '.join(p.councils)} are cut by 0, 10, 25 or 49 per cent.", reps["austerity"],
            outputs=ts, doctrines=["diplomacy"],
            shock_regimes={f"cut_{round(x * 100):02d}": (
                [] if x == 0 else [{"kind": "budget_cut", "at": CUT_WEEK,
                                    "organisations": p.councils, "fraction": x,
                                    "label": "Council cut"}])
                for x in AUSTERITY_CUTS})
    sw = p.small_win
    out["small_wins"] = _exp(
        "small_wins", p.name, f"Validation 9: small wins, {p.name}",
        f"Diplomacy with the place's shocks; {sw['id']} as shipped (cost {sw['cost']:g}) or "
        f"made a small win (cost {SMALL_WIN_COST:g}).", reps["small_wins"], outputs=ts,
        doctrines=["diplomacy"],
        factors={f"initiatives.{sw['id']}.cost": sorted({sw["cost"], SMALL_WIN_COST},
                                                        reverse=True)})
    out.update(ablation_experiments(prereg, p))
    return out


def ablation_experiments(prereg: dict[str, Any], p: Place) -> dict[str, dict[str, Any]]:
    """One experiment per removed doctrine component: the doctrine with that component's
    overrides, the place's shocks, the baseline's master seed (so each run pairs with the
    same seed's run of the full doctrine in the baseline)."""
    abl = prereg.get("ablation") or {}
    out = {}
    for doctrine, comps in (abl.get("variants") or {}).items():
        for comp, overrides in comps.items():
            name = f"ablation_{doctrine}_{comp}"
            out[name] = {
                "name": short_name(name, p.name),
                "title": f"Ablation: {doctrine} without {comp.replace('_', ' ')}, {p.name}",
                "description": f"{doctrine.capitalize()} on {p.name} with its shocks, with "
                               f"one component removed ({comp}); paired by seed with the "
                               "baseline's full doctrine.",
                "base": p.name, "master_seed": MASTER_SEEDS["baseline"], "seeds": "common",
                "replications": int(abl["replications"]), "outputs": "summary",
                "doctrines": [doctrine],
                "factors": {k: [v] for k, v in overrides.items()},
            }
    return out


DIVERSITY = {"low": "each organisation's agenda is 40% its own, 60% the partnership's mean",
             "high": "each organisation's agenda is sharpened (weights to the power 2.5, "
                     "renormalised)"}


def diversity_variant(name: str, level: str) -> dict[str, Any]:
    """A shipped scenario's data with its agendas made less (``low``) or more (``high``)
    diverse; the rest unchanged."""
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    orgs = data["organisations"]
    issues = [i["id"] for i in data["issues"]]
    mean = {k: sum(float(o["agenda"].get(k, 0.0)) for o in orgs) / len(orgs) for k in issues}
    for o in orgs:
        a = {k: float(o["agenda"].get(k, 0.0)) for k in issues}
        if level == "low":
            a = {k: 0.4 * a[k] + 0.6 * mean[k] for k in issues}
        else:
            a = {k: a[k] ** 2.5 for k in issues}
        total = sum(a.values())
        o["agenda"] = {k: round(v / total, 4) for k, v in a.items() if round(v / total, 4) > 0}
        drift = round(1.0 - sum(o["agenda"].values()), 4)
        top = max(o["agenda"], key=lambda k: o["agenda"][k])
        o["agenda"][top] = round(o["agenda"][top] + drift, 4)
    data["name"] = f"{name}_{level}_diversity"
    data["title"] = f"{data['title']}, {level} agenda diversity"
    data["description"] = (f"Validation variant of the {name} scenario with {level} agenda "
                           f"diversity: {DIVERSITY[level]}.")
    return data


def severity_regimes(p: Place, shipped: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Shock severity for the doctrine map: none, the place's own shocks, and a severe
    schedule (a council cut, harder winters, a new chief executive, a reorganisation of the
    two largest organisations, an election)."""
    lead = p.largest_two[0]
    severe: list[dict[str, Any]] = []
    if p.councils:
        severe.append({"kind": "budget_cut", "at": CUT_WEEK, "organisations": p.councils,
                       "fraction": 0.10, "label": "Council cut"})
    severe += [
        {"kind": "demand_surge", "at": 30, "multiplier": 1.5, "duration": 12,
         "label": "Hard winter"},
        {"kind": "reorganisation", "at": 52, "mode": "restructure",
         "organisations": p.largest_two, "label": "System reorganisation"},
        {"kind": "leadership_turnover", "at": 60, "organisation": lead,
         "label": "New chief executive"},
        {"kind": "election", "at": 70, "fraction": 0.5, "label": "Local election"},
        {"kind": "demand_surge", "at": 82, "multiplier": 1.5, "duration": 12,
         "label": "Hard winter"},
    ]
    return {"calm": [], "shipped": shipped, "severe": [s for s in severe if s["at"] < p.steps]}


def doctrine_map_experiment(prereg: dict[str, Any]) -> tuple[dict[str, Any],
                                                              dict[str, dict[str, Any]]]:
    """The doctrine map's experiment (a Sobol design over the uncertain parameters, per agenda
    diversity x shock severity, every doctrine) and its scenario variants by file name."""
    dm = prereg["doctrine_map"]
    name = dm["place"]
    p = place(name)
    raw = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    variants = {f"{name}_{lv}_diversity.yaml": diversity_variant(name, lv)
                for lv in ("low", "high")}
    bases = [f"../scenarios/{name}_low_diversity.yaml", name,
             f"../scenarios/{name}_high_diversity.yaml"]
    exp = {
        "name": "validation_doctrine_map",
        "title": "Validation 6: the doctrine map (probability best, global sensitivity)",
        "description": f"Every doctrine on {name} at low, shipped and high agenda diversity, "
                       "under no shocks, the shipped shocks and a severe schedule, across the "
                       "uncertain parameters of negotiation, delivery, trust and engagement "
                       "(a Sobol design; common seeds).",
        "bases": bases, "master_seed": MASTER_SEEDS["doctrine_map"], "seeds": "common",
        "replications": int(dm["replications"]), "outputs": "summary",
        "doctrines": DOCTRINES,
        "shock_regimes": severity_regimes(p, list(raw.get("shocks") or [])),
        "sampler": {"method": "sobol", "n": int(dm["sobol_n"]), "second_order": False,
                    "ranges": {k: (list(v) if v is not None else None)
                               for k, v in dm["parameters"].items()}},
    }
    return exp, variants


def write_experiments(prereg: dict[str, Any] | None = None, dest: str | Path = EXPERIMENT_DIR
                      ) -> list[Path]:
    """Write every experiment file; returns the paths written."""
    prereg = prereg or load_preregistration()
    dest = Path(dest)
    written = []
    for name in places(prereg):
        p = place(name)
        for exp_name, data in place_experiments(prereg, p).items():
            path = dest / name / f"{exp_name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            text = HEADER.format(place=name) + yaml.safe_dump(
                data, sort_keys=False, width=100, allow_unicode=True)
            _write_if_changed(path, text)
            written.append(path)
    if prereg.get("doctrine_map"):
        exp, variants = doctrine_map_experiment(prereg)
        for fname, data in variants.items():
            path = dest / "scenarios" / fname
            path.parent.mkdir(parents=True, exist_ok=True)
            text = ("# Written by `diplomacy-sim validate-patterns --write-experiments` (agenda "
                    "diversity variant);\n# do not edit by hand.\n"
                    + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True))
            _write_if_changed(path, text)
            written.append(path)
        path = dest / "doctrine_map" / "doctrine_map.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(path, HEADER.format(place=prereg["doctrine_map"]["place"])
                          + yaml.safe_dump(exp, sort_keys=False, width=100, allow_unicode=True))
        written.append(path)
    return written


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def experiment_files(dest: str | Path = EXPERIMENT_DIR) -> list[Path]:
    """The validation experiment files (every ``<place>/<exp>.yaml``), sorted."""
    dest = Path(dest)
    return sorted(p for p in dest.glob("*/*.yaml") if p.parent.name != "scenarios")
