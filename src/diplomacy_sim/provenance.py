"""Which code produced a result, and whether results that are combined belong together.

A sweep's manifest records the git revision, the package versions and a **model
fingerprint**: a hash of the code that decides what a run produces (every module of the
package except the dashboard, the training room, the analysis, the command line and the bookkeeping of
results folders: :data:`NOT_MODEL`), taken over each module's
syntax tree without docstrings or comments, so editing prose does not change it but
editing a rule, a default or a seeding step does. Unlike the git revision, the fingerprint
also identifies uncommitted code (a ``-dirty`` revision says only "some change"). The syntax
tree is the running Python's, so another Python minor version gives another fingerprint —
and is another numerical environment anyway (the Python version is compared too).

:func:`problems` is the guard: given the provenance of several results folders (and of the
code here), it lists in plain words every reason their numbers do not belong together —
folders produced by different model code or numerical packages, a folder resumed across a
code change, a folder that predates fingerprints, a folder produced by code other than the
checkout's, an experiment file whose design changed since it ran. An empty list means the
results can be combined and quoted as the current model's.

The fingerprint is a pure function of the model files' bytes, the Python that parses them
and this module's own code, so :func:`model_fingerprint` remembers it per hash of exactly
those (``$XDG_CACHE_HOME/diplomacy_sim/model_fingerprints.json``, else ``~/.cache/...``):
hashing the files takes milliseconds, parsing and dumping their syntax trees about 0.3 s
of every sweep's start-up. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parent
NOT_MODEL = ("dashboard/", "analysis/", "room/", "cli.py", "__main__.py", "provenance.py",
             "batch/store.py", "names.py")
"""Parts of the package that keep, read or show results but never change them (a path, or
a folder ending in ``/``, relative to the package). ``room/`` drives a model through the
moves of ``model/moves.py`` (which are fingerprinted) but is never on a batch run's path;
a training session checks its own replays with per-round digests. ``names.py`` gives people
display names and job titles from its own SeedSequence (a spawn key no stream uses); no
number of a run reads it."""
NUMERIC_PACKAGES = ("python", "numpy", "scipy", "mesa")
"""Versions that can change a run's numbers (random streams, linear algebra, scheduling)."""
SHORT = 12


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _model_files(root: Path) -> list[Path]:
    def model(rel: str) -> bool:
        return not any(rel == x or (x.endswith("/") and rel.startswith(x)) for x in NOT_MODEL)

    return sorted(p for p in root.rglob("*.py") if model(p.relative_to(root).as_posix()))


def _sources(root: Path) -> list[tuple[str, bytes]]:
    return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in _model_files(root)]


def _fingerprint_of(root: Path, sources: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for rel, data in sources:
        tree = _strip_docstrings(ast.parse(data, filename=str(root / rel)))
        h.update(rel.encode() + b"\0")
        h.update(ast.dump(tree).encode() + b"\0")
    return h.hexdigest()


def fingerprint(root: str | Path) -> str:
    """The model fingerprint of the package at ``root`` (sha256 hex)."""
    root = Path(root)
    return _fingerprint_of(root, _sources(root))


FINGERPRINT_CACHE_SIZE = 32
"""Fingerprints remembered (the most recent; one per version of the code seen)."""
_HEX64 = re.compile(r"[0-9a-f]{64}")


def fingerprint_cache_file() -> Path:
    """Where :func:`model_fingerprint` remembers fingerprints (a user cache, per user)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "diplomacy_sim" / "model_fingerprints.json"


def _sources_key(sources: list[tuple[str, bytes]]) -> str:
    """Everything the fingerprint is a function of: the files' paths and bytes, the
    Python that parses them, and this module (the method)."""
    h = hashlib.sha256()
    for part in (sys.version.encode(), Path(__file__).read_bytes()):
        h.update(len(part).to_bytes(8, "big") + part)
    for rel, data in sources:
        for part in (rel.encode(), data):
            h.update(len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


def cached_fingerprint(root: str | Path, cache: Path | None) -> str:
    """:func:`fingerprint`, remembered in ``cache`` (a JSON file) per :func:`_sources_key`.

    The key and a fingerprint computed on a miss come from the same bytes, read once, so a
    file edited meanwhile cannot pair one version's key with another's fingerprint.
    """
    root = Path(root)
    sources = _sources(root)
    key = _sources_key(sources)
    known: dict[str, str] = {}
    if cache is not None:
        try:
            data = json.loads(cache.read_text())
            known = {k: v for k, v in data.items()
                     if _HEX64.fullmatch(str(k)) and _HEX64.fullmatch(str(v))}
        except (OSError, ValueError, AttributeError):
            known = {}
    hit = known.get(key)
    if hit is not None:
        return hit
    fp = _fingerprint_of(root, sources)
    if cache is not None:
        known.pop(key, None)
        keep = dict(list(known.items())[-(FINGERPRINT_CACHE_SIZE - 1):])
        keep[key] = fp
        try:
            from diplomacy_sim.atomic import atomic_write

            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(cache, lambda p: p.write_text(json.dumps(keep, indent=0)))
        except OSError:
            pass
    return fp


@cache
def model_fingerprint() -> str:
    """The fingerprint of the model code installed here (computed once per process, and
    remembered across processes in :func:`fingerprint_cache_file`)."""
    return cached_fingerprint(PACKAGE_ROOT, fingerprint_cache_file())


def git_revision() -> str | None:
    """The package's git revision (with ``-dirty`` for uncommitted changes), if in a repo."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_ROOT,
                             capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PACKAGE_ROOT, capture_output=True, text=True,
                               timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty.strip() else "")


_PACKAGES = ("diplomacy-sim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic",
             "SALib", "dask", "distributed")


def package_versions() -> dict[str, str | None]:
    """Python's and the relevant packages' versions (None when not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def short(fp: str | None) -> str:
    return "none recorded" if not fp else fp[:SHORT]


def _git(rev: str | None) -> str:
    if not rev:
        return "git unknown"
    sha, dirty = rev.removesuffix("-dirty"), rev.endswith("-dirty")
    return f"git {sha[:9]}{' with uncommitted changes' if dirty else ''}"


@dataclass(frozen=True)
class Provenance:
    """What produced one results folder (or what is installed here)."""

    label: str
    """The folder (or "this checkout")."""
    model_code: str | None
    """Model fingerprint; None for folders written before fingerprints were recorded."""
    git_revision: str | None
    versions: Mapping[str, str | None] = field(default_factory=dict)
    sessions: tuple[tuple[str | None, str | None], ...] = ()
    """(model fingerprint, git revision) of each session that had runs to do."""
    design_sha256: str | None = None

    @classmethod
    def of_manifest(cls, label: str, manifest: Mapping[str, Any]) -> Provenance:
        sessions = tuple((s.get("model_code"), s.get("git_revision"))
                         for s in manifest.get("sessions", []) if s.get("runs_to_do", 1))
        return cls(label=label, model_code=manifest.get("model_code"),
                   git_revision=manifest.get("git_revision"),
                   versions=dict(manifest.get("versions") or {}), sessions=sessions,
                   design_sha256=manifest.get("design_sha256"))

    @classmethod
    def here(cls) -> Provenance:
        return cls(label="this checkout", model_code=model_fingerprint(),
                   git_revision=git_revision(), versions=package_versions())

    def describe(self) -> str:
        return f"model code {short(self.model_code)} ({_git(self.git_revision)})"

    def numeric(self) -> tuple[tuple[str, str | None], ...]:
        return tuple((k, self.versions.get(k)) for k in NUMERIC_PACKAGES)

    def as_dict(self) -> dict[str, Any]:
        return {"model_code": self.model_code, "git_revision": self.git_revision,
                "versions": {k: v for k, v in self.numeric()}}


def _groups(items: Mapping[str, Provenance], key: Any) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = {}
    for label, p in items.items():
        out.setdefault(key(p), []).append(label)
    return out


def problems(results: Mapping[str, Provenance], here: Provenance | None = None,
             designs_here: Mapping[str, str] | None = None) -> list[str]:
    """Every reason the ``results`` folders cannot be combined as the current model's results.

    Args:
        results: provenance of each folder, by the name to show (e.g. its path).
        here: the code installed here; when given, a folder produced by other model code or
            other numerical package versions is reported as stale.
        designs_here: the design hash each folder's experiment file gives now (by the same
            names); a folder whose recorded design differs is reported.
    """
    out: list[str] = []
    # 1. each folder on its own: a fingerprint to compare, one code for all its sessions
    for label, p in results.items():
        if p.model_code is None:
            out.append(f"{label}: no model fingerprint recorded (written by an older "
                       f"diplomacy-sim; {_git(p.git_revision)}), so the code that produced "
                       "it cannot be checked. Re-run it.")
        codes = {s[0] for s in p.sessions if s[0] is not None}
        if len(codes) > 1:
            runs = "; ".join(f"session {i + 1}: model code {short(c)} ({_git(g)})"
                             for i, (c, g) in enumerate(p.sessions))
            out.append(f"{label}: resumed across a code change, so its runs come from "
                       f"different model code ({runs}). Re-run it into a new folder.")
    # 2. the folders together: one model code, one set of numerical packages
    known = {k: p for k, p in results.items() if p.model_code is not None}
    by_code = _groups(known, lambda p: p.model_code)
    if len(by_code) > 1:
        parts = "; ".join(
            f"model code {short(code)} ({_git(results[labels[0]].git_revision)}): "
            + ", ".join(labels) for code, labels in by_code.items())
        out.append(f"the folders were produced by {len(by_code)} different versions of the "
                   f"model code, so their numbers do not belong together: {parts}.")
    by_versions = _groups(results, lambda p: p.numeric())
    if len(by_versions) > 1:
        parts = "; ".join(
            ", ".join(f"{k} {v}" for k, v in key) + ": " + ", ".join(labels)
            for key, labels in by_versions.items())
        out.append(f"the folders ran on different numerical packages: {parts}.")
    # 3. against the code here
    if here is not None:
        stale = [k for k, p in known.items() if p.model_code != here.model_code]
        if stale:
            was = "; ".join(f"{k}: {results[k].describe()}" for k in stale)
            out.append(f"produced by model code other than this checkout's "
                       f"({here.describe()}), so they do not describe the model as it is "
                       f"now: {was}. Re-run them.")
        other = [k for k, p in results.items() if p.versions and p.numeric() != here.numeric()]
        if other:
            mine = ", ".join(f"{k} {v}" for k, v in here.numeric())
            out.append(f"ran on numerical packages other than the ones installed here "
                       f"({mine}): " + ", ".join(
                           f"{k} ({', '.join(f'{n} {v}' for n, v in results[k].numeric())})"
                           for k in other) + ".")
    for label, now in (designs_here or {}).items():
        was = results[label].design_sha256 if label in results else None
        if was is not None and was != now:
            out.append(f"{label}: its experiment file has changed since it ran (design "
                       f"{short(was)} then, {short(now)} now). Re-run it.")
    return out


__all__ = ["NOT_MODEL", "Provenance", "fingerprint", "git_revision", "model_fingerprint",
           "package_versions", "problems"]
