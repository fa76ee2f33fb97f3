"""Sharing a whole set-up: a link and a file that restore the scenario (a catalogue name),
the seed, the doctrine, the people, the parameters, the injected shocks and the week.

A *setup document* is plain data::

    format: diplomacy_sim.setup   # what this is
    version: 1
    scenario: integrated_discharge # a name of the catalogue, never a path
    seed: 7                        # optional (the scenario's own)
    doctrine: command              # optional
    people: 60                     # optional
    parameters: {parameters.trust.loss_ratio: 3}   # tunable parameters only, within bounds
    shocks: [{kind: budget_cut, at: 4, organisations: [city_council], ...}]
    week: 12                       # weeks run (0 .. the horizon)

The link carries the same document as compact JSON in base64url (``?setup=...``). Whatever
its way in, a document is untrusted: it is read by the project's bounded reader
(:func:`diplomacy_sim.untrusted.load_yaml`; no tag executes, depth and size are capped), every
key must be known, each value is checked by the same parsers and schema as the page's fields
and a scenario file (the shocks are validated as a scenario's shocks, by the loader), no value
names a file, and nothing in it is executed. A bad document gives one message per problem,
naming the field and what is allowed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from diplomacy_sim.dashboard.session import (
    Session,
    Setup,
    build_spec,
    parameter_controls,
    parse_number,
    parse_people,
    parse_seed,
    scenario_catalogue,
)
from diplomacy_sim.domain.events import week_number
from diplomacy_sim.scenario.loader import ScenarioError, scenario_from_dict
from diplomacy_sim.scenario.schema import DOCTRINES
from diplomacy_sim.untrusted import InputRefused, cut, load_yaml, parse_int, short, yaml_problem

FORMAT = "diplomacy_sim.setup"
VERSION = 1
MAX_LINK_CHARS = 12_000
"""Longest ``setup=`` value a link may carry (browsers and servers cut longer addresses)."""
MAX_DOCUMENT_BYTES = 64_000
"""Largest setup document, as a file or decoded from a link."""
MAX_SHOCKS = 50
"""Most injected shocks a set-up may carry."""
KEYS = ("format", "version", "scenario", "seed", "doctrine", "people", "parameters",
        "shocks", "week")
_BASE64URL = re.compile(r"[A-Za-z0-9_\-]*={0,2}")


class SetupRefused(ValueError):
    """A setup link or file that cannot be restored; ``problems`` name each field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SharedSetup:
    """A validated setup document: what Reset applies, the shocks, and the week to reach."""

    setup: Setup
    shocks: tuple[dict[str, Any], ...] = ()
    week: int = 0


# --------------------------------------------------------------------------- writing
def setup_document(session: Session) -> dict[str, Any]:
    """The running set-up of a session, its injected shocks and its week, as plain data."""
    with session.lock:
        s = session.setup
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION, "scenario": s.scenario}
        if s.seed is not None:
            doc["seed"] = s.seed
        if s.doctrine is not None:
            doc["doctrine"] = s.doctrine
        if s.people is not None:
            doc["people"] = s.people
        if s.overrides:
            doc["parameters"] = dict(s.overrides)
        if session.injected:
            doc["shocks"] = [dict(x) for x in session.injected]
        doc["week"] = session.week
    return doc


def setup_yaml(session: Session) -> str:
    """The setup file (YAML) of a session."""
    return yaml.safe_dump(setup_document(session), sort_keys=False)


def setup_query(doc: dict[str, Any]) -> str:
    """``setup=...`` for a link: the document as compact JSON, base64url without padding."""
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return "setup=" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --------------------------------------------------------------------------- reading
def decode_link(value: Any) -> dict[str, Any]:
    """The document a link's ``setup=`` value carries (raises :class:`SetupRefused`)."""
    text = str(value)
    if len(text) > MAX_LINK_CHARS:
        raise SetupRefused([f"link `setup`: {len(text):,} characters; allowed: at most "
                            f"{MAX_LINK_CHARS:,}."])
    if not _BASE64URL.fullmatch(text):
        raise SetupRefused(["link `setup`: not a set-up link (allowed: the letters, digits, "
                            "`-` and `_` of a link made by the Share panel)."])
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SetupRefused(["link `setup`: cut short or changed; allowed: a link made by "
                            "the Share panel, copied whole."]) from None
    return read_document(raw, "link `setup`")


def read_document(raw: bytes, where: str = "setup file") -> dict[str, Any]:
    """Plain data from a setup file's bytes (YAML or JSON), through the bounded reader."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise SetupRefused([f"{where}: {len(raw):,} bytes; allowed: at most "
                            f"{MAX_DOCUMENT_BYTES:,}."])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SetupRefused([f"{where}: not UTF-8 text (byte {exc.start}); allowed: a setup "
                            "file saved by the Share panel."]) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        at, problem = yaml_problem(exc)
        raise SetupRefused([f"{where}: not valid YAML or JSON{at}: {problem}."]) from None
    except InputRefused as exc:
        raise SetupRefused([f"{where}: {exc}."]) from None
    if not isinstance(data, dict):
        raise SetupRefused([f"{where}: {short(data, 40)} is not a set-up; allowed: a mapping "
                            f"with the keys {', '.join(KEYS)}."])
    return data


def parse_document(doc: dict[str, Any], where: str = "setup") -> SharedSetup:
    """Validate a setup document as strictly as a scenario file (raises SetupRefused)."""
    problems: list[str] = []

    def bad(field: str, what: str) -> None:
        problems.append(f"{where} field `{field}`: {what}")

    unknown = [k for k in doc if k not in KEYS]
    for k in unknown[:5]:
        bad(cut(str(k), 40), f"not a set-up field; allowed: {', '.join(KEYS)}.")
    if doc.get("format") != FORMAT:
        bad("format", f"{short(doc.get('format'), 40)}; allowed: {FORMAT}.")
    if doc.get("version") != VERSION:
        bad("version", f"{short(doc.get('version'), 20)}; allowed: {VERSION}.")
    names = [n for n, _, _ in scenario_catalogue()]
    scenario = doc.get("scenario")
    if not isinstance(scenario, str) or scenario not in names:
        bad("scenario", f"{short(scenario, 40)} is not a scenario of the catalogue; allowed: "
            f"{', '.join(names)}.")
        raise SetupRefused(problems)  # the rest is checked against the scenario
    seed = people = None
    if doc.get("seed") is not None:
        seed, err = parse_seed(_int_text(doc["seed"]))
        if err:
            bad("seed", err)
    if doc.get("people") is not None:
        people, err = parse_people(_int_text(doc["people"]))
        if err:
            bad("people", err)
    doctrine = doc.get("doctrine")
    if doctrine is not None and doctrine not in DOCTRINES:
        bad("doctrine", f"{short(doctrine, 40)}; allowed: {', '.join(DOCTRINES)}, or leave "
            "it out (the scenario's own).")
        doctrine = None
    overrides: dict[str, float | int] = {}
    params = doc.get("parameters", {}) or {}
    infos = {i.path: i for i in parameter_controls()}
    if not isinstance(params, dict):
        bad("parameters", "allowed: a mapping of parameter paths to numbers.")
        params = {}
    for path, value in list(params.items())[:len(infos) + 1]:
        info = infos.get(path) if isinstance(path, str) else None
        if info is None:
            bad(f"parameters.{cut(str(path), 60)}", "not a tunable parameter; allowed: one of "
                "the set-up's parameters (e.g. parameters.trust.loss_ratio).")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            bad(f"parameters.{path}", f"{short(value, 30)} is not a number.")
        else:
            parsed, err = parse_number(str(value), info)
            if err:
                bad(f"parameters.{path}", err)
            elif parsed is not None:
                overrides[path] = parsed
    if len(params) > len(infos):
        bad("parameters", f"{len(params)} entries; allowed: at most {len(infos)}.")
    if problems:
        raise SetupRefused(problems)
    setup = Setup(scenario=scenario, doctrine=doctrine, seed=seed, people=people,
                  overrides=tuple(sorted(overrides.items())))
    try:
        spec = build_spec(setup)
    except ScenarioError as exc:
        raise SetupRefused([f"{where}: {p}" for p in exc.problems]) from None
    week, err = parse_int(_int_text(doc.get("week", 0)), 0, spec.steps, "a week")
    if err:
        bad("week", err + " (weeks run, 0 to the horizon)")
    shocks = doc.get("shocks", []) or []
    if not isinstance(shocks, list):
        bad("shocks", "allowed: a list of shocks.")
        shocks = []
    if len(shocks) > MAX_SHOCKS:
        bad("shocks", f"{len(shocks)} shocks; allowed: at most {MAX_SHOCKS}.")
        shocks = []
    if problems:
        raise SetupRefused(problems)
    assert week is not None
    for j, sh in enumerate(shocks):
        if not isinstance(sh, dict):
            bad(f"shocks[{j}]", f"{short(sh, 30)}; allowed: a shock (a mapping with a kind).")
        elif isinstance(sh.get("at"), int) and not isinstance(sh.get("at"), bool) \
                and sh["at"] > week:
            bad(f"shocks[{j}].at", f"{sh['at']} is after the week reached ({week}): an "
                "injected shock lands at most at the week the set-up was shared.")
    if problems:
        raise SetupRefused(problems)
    # the shocks are a scenario's shocks: the loader checks kinds, fields, bounds, the
    # organisations they name and the registry's rules (what may hit or merge with what)
    data = spec.model_dump(mode="json")
    data["shocks"] = [dict(s) for s in shocks]
    try:
        scenario_from_dict(data, source=where)
    except ScenarioError as exc:
        raise SetupRefused([f"{where}: {p}" for p in exc.problems]) from None
    return SharedSetup(setup=setup, shocks=tuple(dict(s) for s in shocks), week=week)


def _int_text(value: Any) -> str:
    """An integer field's value as text for the one integer parser (a bool is not a number)."""
    return "not a number" if isinstance(value, bool | float | dict | list) else str(value)


def read_upload(info: Any) -> SharedSetup:
    """A setup file dropped on the page (Solara's ``FileInfo``): read as content only (its
    name is never used), its size checked before anything is read."""
    size = info.get("size") if isinstance(info, dict) else None
    if not isinstance(size, int) or size < 0:
        raise SetupRefused(["setup file: not a file; allowed: a setup file saved by the "
                            "Share panel."])
    if size > MAX_DOCUMENT_BYTES:
        raise SetupRefused([f"setup file: {size:,} bytes; allowed: at most "
                            f"{MAX_DOCUMENT_BYTES:,}."])
    try:  # the page sends the bytes; a page that stops, or sends other than it said, fails
        raw = info["file_obj"].read(MAX_DOCUMENT_BYTES + 1)
    except Exception as exc:  # the reader's own (a timeout, "File changed", a short chunk)
        raise SetupRefused([f"setup file: it did not arrive whole ({cut(str(exc), 80)}); "
                            "allowed: a setup file saved by the Share panel, dropped again."]
                           ) from None
    finally:
        forget_reader(info.get("file_obj"))
    return parse_file(raw if isinstance(raw, bytes) else b"")


def forget_reader(file_obj: Any) -> None:
    """The file drop keeps a reader for each file a page dropped, and whatever the page
    sends it, until another file is dropped: once read, the reader is dropped, so what the
    page sends for it later is not kept."""
    listeners = getattr(getattr(file_obj, "widget", None), "chunk_listeners", None)
    if isinstance(listeners, dict):
        listeners.pop(getattr(file_obj, "id", None), None)


def parse_link(value: Any) -> SharedSetup:
    return parse_document(decode_link(value), "link")


def parse_file(raw: bytes) -> SharedSetup:
    return parse_document(read_document(raw), "setup file")


# --------------------------------------------------------------------------- restoring
def restore(session: Session, shared: SharedSetup) -> None:
    """Reset ``session`` to the shared set-up, then replay its shocks, each injected at its
    week, stepping to the shared week (a deterministic model: the same run, to the bit)."""
    with session.lock:
        session.reset(shared.setup)
        due = sorted(shared.shocks, key=lambda s: int(s["at"]))
        for shock in due:
            while session.week < int(shock["at"]):
                session.step()
            session.inject({k: v for k, v in shock.items() if k != "at"})
        while session.week < shared.week:
            session.step()


def describe(shared: SharedSetup) -> str:
    """One line for the page: what was restored."""
    n = len(shared.shocks)
    shocks = f"{n} shock{'s' if n != 1 else ''}" if n else "no shocks"
    at = (f"after week {week_number(shared.week - 1)}" if shared.week else "at the start")
    return (f"Set-up restored: {shared.setup.scenario}, {len(shared.setup.overrides)} changed "
            f"parameter(s), {shocks}, {at}.")
