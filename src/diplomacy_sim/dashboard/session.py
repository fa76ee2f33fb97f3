"""One browser session's simulation: the running model, its baseline, the trainer's shocks.

Plain Python (no Solara), so it is tested directly. The page creates one :class:`Session`
per browser session; nothing here is built at import time.

The *baseline* is the same scenario and seed without the trainer's injected shocks. Until
the first injection it is the run itself; after it, it is one shock-free model per resolved
scenario (scenario, seed, set-up), shared by the server process's live sessions of that
scenario and stepped only as far as the furthest of them needs: it is never computed twice
while one of them is open, and goes with the last of them.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import threading
import types
import typing
import weakref
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args, get_origin

import numpy as np

from diplomacy_sim.dashboard.charts import NetworkCache, PolylineCache
from diplomacy_sim.domain.outcomes import UNIT_OUTCOMES
from diplomacy_sim.domain.shocks import (
    SHOCK_KINDS,
    merge_partners,
    merge_rule_text,
    mergeable,
)
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.model.views import signals_seen
from diplomacy_sim.scenario import schema
from diplomacy_sim.scenario.loader import (
    ScenarioError,
    list_scenarios,
    load_shipped,
    resolved_dict,
)
from diplomacy_sim.untrusted import parse_decimal, parse_int

DEFAULT_SCENARIO = "integrated_discharge"
CHART_OUTCOMES: tuple[str, ...] = (
    "integration", "trust", "pluralism", "engagement", "user_outcome", "strain", "avoidance",
)
SHOCK_CLASSES: dict[str, type[schema._ShockBase]] = {
    name: schema.SHOCK_CLASSES[name] for name, k in SHOCK_KINDS.items() if k.injectable
}
"""The trainer's shock panel offers the injectable kinds of the registry (elections are
scheduled, not injected)."""
MAX_SEED = schema.MAX_SEED
PEOPLE_RANGE = (5, min(5000, schema.MAX_PEOPLE))
"""The dashboard's own bound on --people (a page steps in real time), within the schema's."""


# --------------------------------------------------------------------------- controls
@cache
def parameter_controls() -> tuple[schema.ParamInfo, ...]:
    """The set-up controls: every tunable parameter, read from the schema (never restated)."""
    return tuple(schema.tunable_parameters())


def warm_shared_caches() -> None:
    """Build the descriptions every page shares and nothing changes (the set-up controls and
    the shock forms) when the first page opens, not when some page first unfolds them: built
    in the middle of a burst of sessions, these few hundred long-lived objects would sit
    among the burst's short-lived ones and keep their memory pages from going back to the
    system after it closes (benchmarks/README.md, "Soak"). Cheap once built."""
    parameter_controls()
    for kind in SHOCK_CLASSES:
        shock_fields(kind)


def group_of(path: str) -> str:
    parts = path.split(".")
    return parts[-2] if len(parts) > 1 else "run"


def humanise(name: str) -> str:
    """An identifier as words ("joint_work" → "Joint work"); a name already written for
    people ("Avoidable A&E admissions") is left as it is."""
    if name != name.lower():
        return name
    return name.replace("_", " ").capitalize()


def format_number(x: float, kind: type = float) -> str:
    if kind is int:
        return str(int(x))
    return f"{x:g}"


def parse_number(text: str, info: schema.ParamInfo) -> tuple[float | int | None, str | None]:
    """(value, None) or (None, message) for text typed into a parameter's field."""
    raw = str(text).strip()
    unit = f" {info.unit}" if info.unit else ""
    allowed = (f"a whole number from {format_number(info.low, int)} to "
               f"{format_number(info.high, int)}{unit}" if info.type is int else
               f"a number from {format_number(info.low)} to {format_number(info.high)}{unit}")
    # the one reader of typed numbers: ASCII digits only, length-checked, echoed cut, finite
    number, err = parse_decimal(raw, -math.inf, math.inf, "a number", allowed)
    if err or number is None:
        return None, err
    value: float | int = number
    if info.type is int:
        if value != int(value):
            return None, f"Enter {allowed}."
        value = int(value)
    if not info.low <= value <= info.high:
        return None, f"{format_number(value, info.type)} is out of range: enter {allowed}."
    return value, None


def parse_seed(text: str) -> tuple[int | None, str | None]:
    """A seed typed into the page or given in the URL (the one integer parser)."""
    return parse_int(text, 0, MAX_SEED, "a seed")


def parse_people(text: str) -> tuple[int | None, str | None]:
    """A number of people typed into the page or given in the URL; empty: the scenario's own."""
    if str(text).strip() == "":
        return None, None  # the scenario's own size
    lo, hi = PEOPLE_RANGE
    value, err = parse_int(text, lo, hi, "a number of people")
    return value, (err[:-1] + ", or leave it empty." if err else None)


@dataclass(frozen=True)
class ShockField:
    """One field of a shock the trainer sets, read from the shock's schema class."""

    name: str
    label: str
    kind: Literal["number", "choice", "choices", "optional_choice"]
    info: schema.ParamInfo | None = None
    options: tuple[str, ...] = ()  # for choice kinds, filled per scenario (org ids, issues)
    source: str = ""  # "organisations", "issues" or "literal"


def _number_info(cls: type, name: str) -> schema.ParamInfo | None:
    f = cls.model_fields[name]  # type: ignore[attr-defined]
    extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
    if f.annotation not in (int, float) or "unit" not in extra:
        return None
    lo = hi = None
    for m in f.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return schema.ParamInfo(
        path=name, type=f.annotation, default=f.default, low=float(lo), high=float(hi),
        unit=str(extra["unit"]), description=f.description or "",
    )


@cache
def shock_fields(kind: str) -> tuple[ShockField, ...]:
    """The fields of a shock kind, generated from its schema class."""
    cls = SHOCK_CLASSES[kind]
    out: list[ShockField] = []
    for name, f in cls.model_fields.items():
        if name in ("at", "kind", "label"):
            continue
        info = _number_info(cls, name)
        ann = f.annotation
        if info is not None:
            out.append(ShockField(name, info.description, "number", info=info))
        elif get_origin(ann) is Literal:
            out.append(ShockField(name, humanise(name), "choice",
                                  options=tuple(get_args(ann)), source="literal"))
        elif get_origin(ann) is list:
            src = "issues" if "issue" in name else "organisations"
            out.append(ShockField(name, humanise(name), "choices", source=src))
        elif get_origin(ann) in (typing.Union, types.UnionType):  # e.g. into: str | None
            out.append(ShockField(name, humanise(name) + " (optional)", "optional_choice",
                                  source="organisations"))
        else:
            src = "issues" if "issue" in name else "organisations"
            out.append(ShockField(name, humanise(name), "choice", source=src))
    return tuple(out)


def shock_default(kind: str, f: ShockField) -> Any:
    """The panel's starting value of a field: the registry's, else the schema's default."""
    d = SHOCK_KINDS[kind].panel_defaults
    if f.name in d:
        return d[f.name]
    if f.kind == "number" and f.info is not None:
        return format_number(f.info.default, f.info.type)
    return None


def shock_targets(kind: str, f: ShockField, orgs: list[tuple[str, str, str]],
                  values: dict[str, Any]) -> list[tuple[str, str]]:
    """(id, name) of the organisations a field may name, by the registry's rules
    (:func:`domain.shocks.shock_target_problems` checks the same rules again on submit).

    ``orgs`` holds (id, name, kind) of the organisations still alive; ``values`` the other
    fields as set so far. For a merge, ``organisations`` offers only those some other
    organisation can absorb (:func:`domain.shocks.mergeable`) and ``into`` only those that
    can absorb every one chosen (:func:`domain.shocks.merge_partners`).
    """
    reg = SHOCK_KINDS[kind]
    kinds = {i: k for i, _, k in orgs if reg.applies_to(k)}
    names = {i: n for i, n, _ in orgs}
    merge = values.get("mode") == "merge"
    if f.name == "into":
        chosen = [o for o in (values.get("organisations") or []) if o in kinds]
        ids = merge_partners(kinds, chosen) if merge else [i for i in kinds if i not in chosen]
    elif f.name == "organisations" and merge:
        ids = mergeable(kinds)
    else:
        ids = list(kinds)
    return [(i, names[i]) for i in ids]


def shock_field_shown(f: ShockField, values: dict[str, Any]) -> bool:
    """Whether the form shows (and sends) a field: a restructure keeps every organisation,
    so it has no ``into``."""
    return not (f.name == "into" and values.get("mode") == "restructure")


def shock_hint(kind: str, values: dict[str, Any], orgs: list[tuple[str, str, str]]) -> str:
    """The rule behind the choices, in words, where the choices are limited by it."""
    if values.get("mode") != "merge":
        return ""
    reg = SHOCK_KINDS[kind]
    if not mergeable({i: k for i, _, k in orgs if reg.applies_to(k)}):
        return "No merge is possible between the organisations here. " + merge_rule_text()
    return merge_rule_text()


@cache
def scenario_catalogue() -> tuple[tuple[str, str, str], ...]:
    """Shipped scenarios: (name, title, plain-words description)."""
    out = []
    for name, title, _first in list_scenarios():
        out.append((name, title, " ".join(load_shipped(name).description.split())))
    return tuple(out)


# --------------------------------------------------------------------------- set-up
@dataclass(frozen=True)
class Setup:
    """Everything that applies on Reset."""

    scenario: str = DEFAULT_SCENARIO
    doctrine: str | None = None  # None: the scenario's own
    seed: int | None = None  # None: the scenario's own
    people: int | None = None  # None: the scenario's own size
    overrides: tuple[tuple[str, float | int], ...] = ()

    def with_override(self, path: str, value: float | int | None) -> Setup:
        d = dict(self.overrides)
        if value is None:
            d.pop(path, None)
        else:
            d[path] = value
        return Setup(self.scenario, self.doctrine, self.seed, self.people, tuple(sorted(d.items())))

    def describe_changes(self, other: Setup) -> list[str]:
        """What differs from ``other`` (the running set-up), in words."""
        out = []
        if self.scenario != other.scenario:
            out.append(f"scenario → {self.scenario}")
        if self.doctrine != other.doctrine:
            out.append(f"doctrine → {self.doctrine or 'scenario default'}")
        if self.seed != other.seed:
            out.append(f"seed → {self.seed if self.seed is not None else 'scenario default'}")
        if self.people != other.people:
            out.append(f"people → {self.people or 'scenario default'}")
        a, b = dict(self.overrides), dict(other.overrides)
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append(f"{k} → {a.get(k, 'default')}")
        return out


def build_spec(setup: Setup) -> schema.Scenario:
    overrides: dict[str, Any] = dict(setup.overrides)
    if setup.doctrine:
        overrides["doctrine"] = setup.doctrine
    if setup.seed is not None:
        overrides["seed"] = setup.seed
    # the scenario is a catalogue name, never a path: the page's value names no file
    return load_shipped(setup.scenario, overrides=overrides or None, people=setup.people)


@functools.lru_cache(maxsize=64)
def scenario_values(name: str) -> dict[str, float | int]:
    """The value each tunable parameter has in a scenario (its file, else the schema).

    Cached: every parameter group of every page reads it (callers never modify it)."""
    data = load_shipped(name).model_dump(mode="python")
    out = {}
    for info in parameter_controls():
        node: Any = data
        for part in info.path.split("."):
            node = node[part]
        out[info.path] = node
    return out


# --------------------------------------------------------------------------- baselines
class SharedBaseline:
    """The shock-free run of one resolved scenario, stepped on demand (thread-safe)."""

    def __init__(self, spec: schema.Scenario) -> None:
        self.model = DiplomacyModel(spec)
        self.lock = threading.Lock()

    def rows(self, upto: int) -> list[dict[str, float]]:
        """The first ``upto`` weekly rows (stepping the model as far as needed)."""
        with self.lock:
            while len(self.model.rows) < upto and not self.model.done:
                self.model.step()
            return self.model.rows[:upto]


_BASELINES: weakref.WeakValueDictionary[str, SharedBaseline] = weakref.WeakValueDictionary()
"""The shock-free models in use, by resolved scenario. Weak: a baseline lives as long as a
session that injected into that scenario does (``Session.shared`` holds it), and goes with
the last of them. A process-wide cache would keep models made during a burst of sessions
after they closed, and their objects, scattered through the allocator's arenas, would pin
the burst's memory (benchmarks/README.md, "Soak")."""
_BASELINES_LOCK = threading.Lock()


def spec_key(spec: schema.Scenario) -> str:
    return spec.model_dump_json()


def shared_baseline(spec: schema.Scenario, key: str | None = None) -> SharedBaseline:
    """The one shock-free model for ``spec`` among this process's live sessions."""
    key = key or spec_key(spec)
    with _BASELINES_LOCK:
        b = _BASELINES.get(key)
        if b is not None:
            return b
    made = SharedBaseline(spec)  # outside the lock: building a large model takes a while
    with _BASELINES_LOCK:
        return _BASELINES.setdefault(key, made)


# --------------------------------------------------------------------------- session
@dataclass
class Session:
    """The model of one browser session, and what the trainer did to it."""

    setup: Setup = field(default_factory=Setup)
    model: DiplomacyModel = field(init=False)
    shared: SharedBaseline | None = field(init=False, default=None)
    injected: list[dict[str, Any]] = field(init=False, default_factory=list)
    lock: threading.RLock = field(init=False, default_factory=threading.RLock, repr=False)
    chart_cache: PolylineCache = field(init=False, default_factory=PolylineCache, repr=False)
    network_cache: NetworkCache = field(init=False, default_factory=NetworkCache, repr=False)
    _signals: dict[int, list[dict[str, float]]] = field(init=False, default_factory=dict,
                                                       repr=False)
    event_dicts: list[dict[str, Any]] = field(init=False, default_factory=list, repr=False)
    """The model's events as dicts, converted once each (the narrative's; cleared on Reset)."""

    def __post_init__(self) -> None:
        self.reset(self.setup)

    # ------------------------------------------------------------- verbs
    def reset(self, setup: Setup | None = None) -> None:
        """Start again with ``setup`` (raises ScenarioError on invalid set-up; keeps the old)."""
        setup = setup or self.setup
        spec = build_spec(setup)
        with self.lock:
            self.setup = setup
            self.spec = spec
            self.model = DiplomacyModel(spec)
            self.shared = None
            self.injected = []
            self._signals = {}
            self.event_dicts.clear()
            self.chart_cache.clear()
            self.network_cache.clear()

    def step(self, n: int = 1) -> bool:
        """Advance by ``n`` weeks; False when already at the end."""
        with self.lock:
            if self.model.done:
                return False
            for _ in range(n):
                if self.model.done:
                    break
                self.model.step()
            return True

    def run_to_end(self) -> None:
        with self.lock:
            while not self.model.done:
                self.step()

    def inject(self, shock: dict[str, Any]) -> None:
        """Inject a shock now (raises ScenarioError if invalid)."""
        with self.lock:
            if self.model.done:
                raise ScenarioError("shock", ["the run has ended: press Reset to start again."])
            problems = self.model.landing_problems(shock)
            if problems:
                raise ScenarioError("shock", [f"{why}." for why in problems])
            self.model.inject(dict(shock))
            if self.shared is None:
                # the shock-free twin (the model is deterministic): shared, stepped on demand
                self.shared = shared_baseline(self.spec)
            entry = dict(shock)
            entry["at"] = self.model.week
            self.injected.append(entry)

    @property
    def baseline(self) -> DiplomacyModel | None:
        """The shock-free model (None before the first injection); it may be further on than
        this session (it is shared): read it through :meth:`baseline_rows`."""
        return None if self.shared is None else self.shared.model

    # ------------------------------------------------------------- reading
    @property
    def week(self) -> int:
        return self.model.week

    @property
    def horizon(self) -> int:
        return self.model.horizon

    def baseline_rows(self) -> list[dict[str, float]]:
        """The shock-free run's rows up to this session's week."""
        if self.shared is None:
            return self.model.rows
        return self.shared.rows(self.model.week)

    def person_signals(self, person: int) -> list[dict[str, float]]:
        """The noisy outcome signals ``person`` saw each week so far
        (:func:`model.views.signals_seen`, week by week; the weeks already read are kept)."""
        with self.lock:
            m = self.model
            out = self._signals.setdefault(person, [])
            for w in range(len(out) + 1, len(m.rows) + 1):
                out.append({"step": m.rows[w - 1]["step"], **signals_seen(m, person, w)})
            return out[: len(m.rows)]

    def people_choices(self) -> list[tuple[int, str]]:
        """(index, label) for every person, e.g. "Executive 1, Northgate Hospital"."""
        st = self.model.state
        p, o = st.people, st.orgs
        from diplomacy_sim.domain.state import ROLE_NAMES

        counters: dict[tuple[int, int], int] = {}
        out = []
        for i in range(p.n):
            key = (int(p.org[i]), int(p.role[i]))
            counters[key] = counters.get(key, 0) + 1
            out.append((i, f"{humanise(ROLE_NAMES[key[1]])} {counters[key]}, {o.names[key[0]]}"))
        return out

    def default_person(self) -> int:
        """Learners start in a role: the first manager (else the first person)."""
        p = self.model.state.people
        managers = np.flatnonzero(p.role == 1)
        return int(managers[0]) if managers.size else 0

    # ------------------------------------------------------------- export
    def timeseries_csv(self) -> str:
        from diplomacy_sim.api import timeseries

        with self.lock:
            df = timeseries(self.model)
            if self.shared is not None:
                self.baseline_rows()  # stepped at least as far as this run
                with self.shared.lock:
                    base = timeseries(self.shared.model)
                for k in CHART_OUTCOMES:
                    df[f"baseline_{k}"] = base[k].to_numpy()[: len(df)]
        return df.to_csv(index=False)

    def events_jsonl(self) -> str:
        with self.lock:
            return "".join(json.dumps(e.to_dict()) + "\n" for e in self.model.events)

    def scenario_yaml(self) -> str:
        """The resolved scenario with its seed; injected shocks are added at their week, so
        ``diplomacy-sim run`` on this file repeats the session's run."""
        import yaml

        with self.lock:
            data = copy.deepcopy(resolved_dict(self.model.spec))
            data["shocks"] = list(data.get("shocks", [])) + [dict(s) for s in self.injected]
        return yaml.safe_dump(data, sort_keys=False)

    def outcome_names(self) -> tuple[str, ...]:
        return tuple(k for k in CHART_OUTCOMES if k in UNIT_OUTCOMES)
