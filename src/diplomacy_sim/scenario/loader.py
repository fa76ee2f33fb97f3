"""Loading and strict validation of scenario files.

Every problem becomes a :class:`ScenarioError` whose message names the file, the field path
and what is allowed, with a "did you mean" for near-miss keys. Nothing here raises a bare
traceback at the user.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from diplomacy_sim.domain.shock_kinds import sequence_problems, shock_target_problems
from diplomacy_sim.scenario.catalog import SCENARIO_DIR, list_scenarios
from diplomacy_sim.scenario.errors import ScenarioError
from diplomacy_sim.scenario.schema import (
    MAX_PEOPLE,
    ROLES,
    SHOCK_KINDS,
    Parameters,
    Scenario,
)
from diplomacy_sim.shipped import shipped_dir
from diplomacy_sim.untrusted import (
    InputRefused,
    cut,
    load_yaml,
    parse_int,
    read_bounded_file,
    short,
    yaml_problem,
)


# --------------------------------------------------------------------------- error text
def _fmt_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            out += ("." if out else "") + (text if len(text) <= 60 else text[:57] + "...")
    return out or "(top level)"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for listing allowed keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            # discriminated union tag (e.g. 'reorganisation')
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(ann: Any) -> Any:
    args = getattr(ann, "__args__", None)
    if args:
        for a in args:
            inner = _unwrap(a)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return ann


_KIND_WORDS = {"int": "whole number", "float": "number", "str": "text", "bool": "true or false"}


def _bound(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def describe_allowed(model: type[BaseModel], name: str) -> str:
    """What a field accepts, in words: type, bounds, unit and meaning."""
    field = model.model_fields[name]
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    raw = getattr(field.annotation, "__name__", str(field.annotation))
    kind = _KIND_WORDS.get(raw, raw)
    if lo is not None and hi is not None:
        parts = [f"a {kind} from {_bound(lo)} to {_bound(hi)}"]
    elif lo is not None:
        parts = [f"a {kind} of at least {_bound(lo)}"]
    elif hi is not None:
        parts = [f"a {kind} of at most {_bound(hi)}"]
    else:
        parts = [f"a {kind}"]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "unit" in extra:
        parts.append(f"in {extra['unit']}")
    if field.description:
        parts.append(f"({field.description})")
    return " ".join(parts)


def _shock_tags() -> dict[str, type[BaseModel]]:
    """Shock kinds to the schema class of each (from the registry, via the schema)."""
    from diplomacy_sim.scenario import schema

    return dict(schema.SHOCK_CLASSES)


def _union_model(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """For shocks, the loc holds the tag name: resolve it to the member class."""
    tags = _shock_tags()
    for i, part in enumerate(loc):
        if part in tags:
            return tags[part] if i == len(loc) - 1 else _model_at(tags[part], loc[i + 1 :])
    return None


def _quote(value: Any) -> str:
    """A value as the user wrote it, in backticks, cut short if long."""
    if isinstance(value, str):
        return "`" + (value if len(value) <= 60 else value[:57] + "...") + "`"
    return short(value)


def _explain(root: type[BaseModel], err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    path = _fmt_path(
        p for i, p in enumerate(loc)
        if not (isinstance(p, str) and "[" in p)
        # a shock's tag (``shocks[0].budget_cut.fraction``) is not part of what the user wrote
        and not (i > 0 and isinstance(loc[i - 1], int) and p in SHOCK_KINDS)
    )
    etype = err["type"]
    value = err.get("input")
    if etype == "extra_forbidden":
        owner = _union_model(root, loc[:-1]) or _model_at(root, loc[:-1])
        keys = sorted(owner.model_fields) if owner else []
        key = str(loc[-1])
        near = difflib.get_close_matches(key[:100], keys, n=1, cutoff=0.6)
        msg = f"field `{path}`: unknown key `{short(key, 60).strip(chr(39))}`."
        if near:
            msg += f" Did you mean `{near[0]}`?"
        if keys:
            msg += f" Allowed keys here: {', '.join(keys)}."
        return msg
    if etype == "missing":
        return f"field `{path}`: required but missing."
    if etype in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        hint = ""
        if isinstance(value, str):
            opts = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
            close = difflib.get_close_matches(value[:100], opts, n=1, cutoff=0.6)
            hint = f" Did you mean `{close[0]}`?" if close else ""
        return f"field `{path}`: {_quote(value)} is not allowed; allowed: {expected}.{hint}"
    if etype == "union_tag_invalid":
        expected = err.get("ctx", {}).get("expected_tags", "")
        tag = err.get("ctx", {}).get("tag", value)
        close = difflib.get_close_matches(str(tag)[:100],
                                          [t.strip(" '") for t in expected.split(",")])
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return (f"field `{path}.kind`: {_quote(tag)} is not a shock kind; allowed: "
                f"{expected}.{hint}")
    if etype == "union_tag_not_found":
        return f"field `{path}`: needs a `kind` (one of the shock kinds)."
    if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        owner = _union_model(root, loc[:-1]) or _model_at(root, loc[:-1])
        name = str(loc[-1])
        if owner is not None and name in owner.model_fields:
            allowed = describe_allowed(owner, name)
        else:
            allowed = err["msg"].lower()
        return f"field `{path}`: {short(value)} is out of range; allowed: {allowed}."
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        owner = _union_model(root, loc) or _model_at(root, loc)
        with_keys = f" with keys from: {', '.join(sorted(owner.model_fields))}" if owner else ""
        return f"field `{path}`: {short(value)} has the wrong type; allowed: a mapping{with_keys}."
    if etype.endswith("_type") or etype.endswith("_parsing"):
        owner = _union_model(root, loc[:-1]) or _model_at(root, loc[:-1])
        name = str(loc[-1]) if loc else ""
        if owner is not None and name in owner.model_fields:
            allowed = describe_allowed(owner, name)
        else:
            allowed = err["msg"].lower().removeprefix("input should be ")
        return f"field `{path}`: {short(value)} has the wrong type; allowed: {allowed}."
    if etype == "string_pattern_mismatch":
        return (
            f"field `{path}`: {short(value)} is not a valid identifier; allowed: lower-case letters, "
            "digits and underscores, starting with a letter."
        )
    if etype in ("too_short", "string_too_short"):
        return f"field `{path}`: must not be empty."
    return f"field `{path}`: {err['msg']} (got {short(value)})."


def explain_validation_error(root: type[BaseModel], exc: ValidationError) -> list[str]:
    return [_explain(root, e) for e in exc.errors(include_url=False)]


# --------------------------------------------------------------------------- cross-references
def cross_reference_problems(s: Scenario) -> list[str]:
    """Checks that need the whole scenario: references, uniqueness, horizon."""
    problems: list[str] = []
    issue_ids = [i.id for i in s.issues]
    org_ids = [o.id for o in s.organisations]
    org_kinds = {o.id: o.kind for o in s.organisations}

    def ref(path: str, value: str | None, known: list[str], what: str) -> None:
        if value is None or value in known:
            return
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        problems.append(
            f"field `{path}`: {_quote(value)} is not a known {what}; allowed: {', '.join(known)}.{hint}"
        )

    for label, ids in (("issues", issue_ids), ("organisations", org_ids)):
        seen: set[str] = set()
        for n, ident in enumerate(ids):
            if ident in seen:
                problems.append(
                    f"field `{label}[{n}].id`: `{ident}` is defined twice; ids must be unique."
                )
            seen.add(ident)
    for i, org in enumerate(s.organisations):
        base = f"organisations[{i}]"
        for k, w in org.agenda.items():
            ref(f"{base}.agenda.{k}", k, issue_ids, "issue")
            if w < 0:
                problems.append(f"field `{base}.agenda.{k}`: {w} is negative; allowed: >= 0.")
        if sum(org.agenda.values()) <= 0:
            problems.append(f"field `{base}.agenda`: weights must add up to more than 0.")
        if sum(org.people.values()) < 1:
            problems.append(f"field `{base}.people`: an organisation needs at least one person.")
        if org.funded_by is not None and org.funded_by == org.id:
            problems.append(f"field `{base}.funded_by`: an organisation cannot fund itself; "
                            "allowed: the id of another organisation.")
        ref(f"{base}.target", org.target, issue_ids, "issue")
        ref(f"{base}.funded_by", org.funded_by, org_ids, "organisation")
        if org.grant_share > 0 and org.funded_by is None:
            problems.append(f"field `{base}.grant_share`: needs `funded_by` to name the funder.")
    if s.n_people > MAX_PEOPLE:
        problems.append(f"field `organisations[].people`: {s.n_people:,} people in all; "
                        f"allowed: at most {MAX_PEOPLE:,}.")
    init_ids: set[str] = set()
    for i, ini in enumerate(s.initiatives):
        base = f"initiatives[{i}]"
        if ini.id in init_ids:
            problems.append(f"field `{base}.id`: `{ini.id}` is defined twice; ids must be unique.")
        init_ids.add(ini.id)
        for k in ini.advances:
            ref(f"{base}.advances.{k}", k, issue_ids, "issue")
        for j, p in enumerate(ini.parties):
            ref(f"{base}.parties[{j}]", p, org_ids, "organisation")
        ref(f"{base}.lead", ini.lead, ini.parties, "party of this initiative")
    for i, sh in enumerate(s.shocks):
        base = f"shocks[{i}]"
        if sh.at >= s.steps:
            problems.append(
                f"field `{base}.at`: week {sh.at} is past the horizon; allowed: 0 to {s.steps - 1}."
            )
        for j, o in enumerate(getattr(sh, "organisations", []) or []):
            ref(f"{base}.organisations[{j}]", o, org_ids, "organisation")
        ref(f"{base}.organisation", getattr(sh, "organisation", None), org_ids, "organisation")
        ref(f"{base}.into", getattr(sh, "into", None), org_ids, "organisation")
        ref(f"{base}.issue", getattr(sh, "issue", None), issue_ids, "issue")
        for where, problem in shock_target_problems(sh, org_kinds):
            problems.append(f"field `{base}.{where}`: {problem}.")
    order = sorted(range(len(s.shocks)), key=lambda i: s.shocks[i].at)  # as the model applies
    for pos, where, problem in sequence_problems([s.shocks[i] for i in order]):
        problems.append(f"field `shocks[{order[pos]}].{where}`: {problem}.")
    return problems


# --------------------------------------------------------------------------- loading
def _read_yaml(path: Path) -> Any:
    """Plain data from a user's YAML file, through the bounded reader (:mod:`untrusted`)."""
    try:
        raw = read_bounded_file(path)
    except FileNotFoundError:
        shipped = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError(str(path), [
            f"file not found; allowed: a path to a scenario YAML file, or the name of a "
            f"shipped scenario ({shipped})."
        ]) from None
    except InputRefused as exc:
        raise ScenarioError(str(path), [f"the file {exc}."]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(str(path), [f"cannot be read: {cut(why, 200)}."]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), [
            f"is not UTF-8 text (byte {exc.start}); allowed: a UTF-8 YAML text file."]) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        where, problem = yaml_problem(exc)
        hint = "" if isinstance(exc, yaml.constructor.ConstructorError) else (
            " Check the indentation there, and put quotes around text that contains `:`, "
            "`,`, `[` or `{`.")
        raise ScenarioError(str(path), [
            f"the file is not valid YAML{where}: {problem}.{hint}"]) from None
    if data is None:
        raise ScenarioError(str(path), [
            "the file is empty; allowed: a YAML mapping with name, title, description, source, "
            "issues, organisations and initiatives (see scenarios/integrated_discharge.yaml)."
        ])
    if not isinstance(data, dict):
        kind = {"list": "a list", "str": "a single piece of text", "int": "a number",
                "float": "a number", "bool": "true/false"}.get(type(data).__name__, "a value")
        raise ScenarioError(str(path), [
            f"field `(top level)`: the file holds {kind}; allowed: a YAML mapping of keys "
            "(name, title, description, ...), one `key: value` per line."
        ])
    return data


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain mapping as a scenario, raising :class:`ScenarioError` on problems."""
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(source, explain_validation_error(Scenario, exc)) from None
    problems = cross_reference_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario file path, or the name of a shipped scenario."""
    p = Path(name_or_path)
    if _exists(p) or p.suffix in (".yaml", ".yml"):
        return p
    shipped = shipped_scenarios().get(str(name_or_path))  # a name of the catalogue
    return shipped if shipped is not None else p


def file_kind(name_or_path: str | Path) -> tuple[str, dict[str, Any] | None]:
    """What a file (or a shipped name) given to ``validate`` holds: ``("experiment", None)``
    or ``("scenario", its data)``. An experiment names a `base` (or `bases`) and has no
    `organisations` of its own; anything else is a scenario. A file that cannot be read
    gives ``("scenario", None)``: the scenario reader then says what is wrong with it."""
    path = resolve_path(name_or_path)
    if not _exists(path):
        shipped = {p.stem for p in shipped_dir("experiments").glob("*.yaml")}
        return ("experiment" if str(name_or_path) in shipped else "scenario"), None
    try:
        data = _read_yaml(path)
    except ScenarioError:
        return "scenario", None
    if ("base" in data or "bases" in data) and "organisations" not in data:
        return "experiment", None
    return "scenario", data


def _exists(p: Path) -> bool:
    """Whether a user's path exists; a path the system cannot even look up does not."""
    try:
        return p.exists()
    except (OSError, ValueError):  # too long, a NUL byte, ...
        return False


def load_scenario(
    name_or_path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    people: int | None = None,
) -> Scenario:
    """Load and validate a scenario file (or a shipped scenario by name).

    Args:
        name_or_path: a YAML file, or the name of a file in ``scenarios/``.
        overrides: dotted paths to values, e.g. ``{"parameters.trust.loss_ratio": 3}``.
        people: scale the scenario to this many people, keeping its proportions.
    """
    path = resolve_path(name_or_path)
    data = _read_yaml(path)
    if overrides:
        data = apply_overrides(data, overrides, source=str(path))
    scenario = scenario_from_dict(data, source=str(path))
    if people is not None:
        scenario = scale_people(scenario, people)
    return scenario


def shipped_scenarios() -> dict[str, Path]:
    """The catalogue: each shipped scenario's name and file (the server's own files)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.yaml")) if p.is_file()}


def load_shipped(
    name: str, overrides: Mapping[str, Any] | None = None, people: int | None = None,
) -> Scenario:
    """A shipped scenario chosen by its catalogue name only (for values from a page or URL).

    The name is looked up in the catalogue, never turned into a path: no value a user sends
    names a file. The server's own files are parsed once (and again only if one changes):
    a page that opens must not re-read YAML for every control.
    """
    catalogue = shipped_scenarios()
    if not isinstance(name, str) or name not in catalogue:
        raise ScenarioError("scenario", [
            f"{short(name)} is not a scenario of the catalogue; allowed: "
            f"{', '.join(catalogue)}."])
    path = catalogue[name]
    st = path.stat()
    data, scenario = _parsed_shipped(str(path), st.st_mtime_ns, st.st_size)
    if overrides:
        scenario = scenario_from_dict(apply_overrides(data, overrides, source=str(path)),
                                      source=str(path))
    if people is not None:
        scenario = scale_people(scenario, people)
    return scenario


@functools.lru_cache(maxsize=64)
def _parsed_shipped(path: str, mtime_ns: int, size: int) -> tuple[dict[str, Any], Scenario]:
    """A shipped file's data and validated scenario (keyed by its change time and size).

    The scenario is frozen and the data is only ever copied (``apply_overrides``), so both
    are shared safely between sessions.
    """
    data = _read_yaml(Path(path))
    return data, scenario_from_dict(data, source=path)


# --------------------------------------------------------------------------- overrides
def parse_override(text: str) -> tuple[str, Any]:
    """``path=value`` from the command line; the value is read as YAML (numbers, words)."""
    if "=" not in text:
        raise ScenarioError("--set", [
            f"--set `{text}`: no `=`; allowed: PATH=VALUE, e.g. parameters.trust.loss_ratio=3."
        ])
    path, raw = text.split("=", 1)
    try:
        value = load_yaml(raw)
    except yaml.YAMLError as exc:
        bound = isinstance(exc, yaml.constructor.ConstructorError)  # a cap, duplicate key
        if bound or len(raw) > 200 or raw.lstrip()[:1] in ("[", "{"):  # or malformed data
            where, problem = yaml_problem(exc)
            raise ScenarioError("--set", [
                f"--set `{short(path.strip(), 60)}`: the value is not valid YAML{where}: "
                f"{problem}."]) from None
        value = raw
    return path.strip(), value


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], source: str = "--set"
) -> dict[str, Any]:
    """A copy of ``data`` with dotted-path overrides applied; unknown paths are errors.

    A path walks the scenario's keys (``parameters.trust.loss_ratio``); inside a list it
    takes an element's position or id (``organisations.city_council.budget``,
    ``shocks.0.fraction``); inside a free mapping any key (``...agenda.housing``).
    """
    out = copy.deepcopy(dict(data))
    problems = []
    for path, value in overrides.items():
        problem = _set_path(out, path, value)
        if problem:
            problems.append(f"--set `{path}`: {problem}")
    if problems:
        raise ScenarioError(source, problems)
    return out


_FREE_MAPPING = object()
"""Marker: a ``dict[...]`` field (agenda, people, advances) takes any key at the next level."""


def _shock_model(element: Any) -> type[BaseModel] | None:
    kind = element.get("kind") if isinstance(element, dict) else None
    return _shock_tags().get(kind) if isinstance(kind, str) else None


def _set_path(out: dict[str, Any], path: str, value: Any) -> str | None:
    """Set one dotted path in ``out``; return what is wrong with the path, or None."""
    parts = path.split(".")
    node: Any = out
    model: Any = Scenario
    in_shocks = False
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[:i]) or "(top level)"
        if isinstance(node, list):
            ids = [e.get("id") if isinstance(e, dict) else None for e in node]
            # a position is ASCII digits only (no sign), read by the one integer parser:
            # "²" and other Unicode digits pass str.isdigit() but not int()
            index, bad_index = (parse_int(part, 0, len(node) - 1, "a position")
                                if part.isascii() and part.isdigit() else (None, "not one"))
            if bad_index is None and index is not None:
                pos = index
            elif part in ids:
                pos = ids.index(part)
            else:
                named = [str(x) for x in ids if x]
                allowed = f"a position from 0 to {len(node) - 1}" if node else "nothing (empty)"
                if named:
                    allowed += f" or an id: {', '.join(named)}"
                close = difflib.get_close_matches(part, named, n=1, cutoff=0.6)
                hint = f" Did you mean `{close[0]}`?" if close else ""
                return f"`{here}` has no element `{part}`; allowed: {allowed}.{hint}"
            if last:
                node[pos] = value
                return None
            if not isinstance(node[pos], dict):
                return f"`{here}.{part}` is a single value; it has no key `{parts[i + 1]}`."
            node = node[pos]
            if in_shocks:
                model = _shock_model(node)
            continue
        if model is _FREE_MAPPING:
            if last:
                node[part] = value
                return None
            return f"`{here}.{part}` is a single value; it has no key `{parts[i + 1]}`."
        if model is None:
            return f"`{here}` is a single value, not a group of settings; it has no key `{part}`."
        fields = model.model_fields
        if part not in fields:
            close = difflib.get_close_matches(part, list(fields), n=1, cutoff=0.6)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            return f"unknown key `{part}`; allowed: {', '.join(sorted(fields))}." + hint
        if last:
            node[part] = value
            return None
        ann = fields[part].annotation
        origin = getattr(ann, "__origin__", None)
        nxt = node.get(part)
        if origin is list:
            if not isinstance(nxt, list):
                return f"`{part}` has no entries here to change; set the whole list instead."
            in_shocks = part == "shocks"
            inner = _unwrap(ann)
            model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
            node = nxt
            continue
        if origin is dict:
            model = _FREE_MAPPING
        else:
            inner = _unwrap(ann)
            model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        if not isinstance(nxt, dict):
            if model is None:
                return f"`{part}` is a single value, not a group of settings; " \
                    f"it has no key `{parts[i + 1]}`."
            nxt = {}
            node[part] = nxt
        node = nxt
    return None


# --------------------------------------------------------------------------- scaling
def _largest_remainder(weights: list[float], total: int, minimum: list[int]) -> list[int]:
    s = sum(weights)
    raw = [w / s * total for w in weights]
    counts = [max(m, int(r)) for r, m in zip(raw, minimum, strict=True)]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < total and order:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def scale_people(scenario: Scenario, people: int) -> Scenario:
    """The same scenario with ``people`` people, keeping the proportions of orgs and roles.

    Every organisation keeps at least one executive, so it still has someone at the table.
    """
    # every organisation has an executive cell (even one it lacked), so it keeps a seat
    cells = [
        (o.id, r) for o in scenario.organisations for r in ROLES
        if o.people.get(r, 0) > 0 or r == "executive"  # type: ignore[call-overload]
    ]
    weights = [
        float(next(o for o in scenario.organisations if o.id == oid).people.get(r, 0))  # type: ignore[call-overload]
        for oid, r in cells
    ]
    minimum = [1 if r == "executive" else 0 for _, r in cells]
    if people > MAX_PEOPLE:
        raise ScenarioError("--people", [
            f"{people:,} is too many; allowed: at most {MAX_PEOPLE:,} people in all."])
    if people < sum(minimum):
        raise ScenarioError(
            "--people",
            [f"{people} is too few; this scenario needs at least {sum(minimum)} (one executive "
             "per organisation)."],
        )
    counts = _largest_remainder(weights, people, minimum)
    # the minimum can push the total over: take the excess from the largest cells
    while sum(counts) > people:
        j = max(range(len(counts)), key=lambda i: counts[i] - minimum[i])
        counts[j] -= 1
    by_org: dict[str, dict[str, int]] = {}
    for (oid, r), c in zip(cells, counts, strict=True):
        by_org.setdefault(oid, {})[r] = c
    data = scenario.model_dump(mode="python")
    for org in data["organisations"]:
        org["people"] = by_org.get(org["id"], org["people"])
    return scenario_from_dict(data, source="--people")


def resolved_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (defaults filled in) as plain data, for writing out."""
    return scenario.model_dump(mode="json")


__all__ = [
    "Parameters",
    "ScenarioError",
    "apply_overrides",
    "list_scenarios",
    "load_scenario",
    "load_shipped",
    "parse_override",
    "resolved_dict",
    "scale_people",
    "scenario_from_dict",
    "shipped_scenarios",
]
