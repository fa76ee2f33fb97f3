"""The result folder of a sweep: Parquet part files, a manifest, and resumption.

Layout of ``DIR``::

    manifest.json        experiment, hashes, master seed, sampler, versions, git revision,
                         model fingerprint (also per session), times
    experiment.yaml      a copy of the experiment file
    design.json          SALib problem and sample points (for sensitivity analysis)
    summaries/part-*.parquet    one row per finished run (base, factors, seed, outcomes)
    timeseries/part-*.parquet   one row per run and step (if the experiment keeps them)
    superseded/part-*.parquet   failed rows replaced by a ``--retry-failed`` resume

Each finished chunk of runs becomes one part file, written under a hidden temporary name
and renamed, so a reader (or a resumed sweep) never sees half a file; Parquet readers skip
hidden files. The timeseries part is written before the summary part of the same chunk, and
a summary part marks its runs finished: on resume, timeseries parts without their summary
part are deleted and their runs are run again.

``pd.read_parquet("DIR/summaries")`` loads the results in one line.

A folder is resumed only by the model code that started it (same model fingerprint, see
:mod:`diplomacy_sim.provenance`): runs produced by different code do not belong in one
dataset. ``accept_code_change`` overrides this; the sessions then record which code added
which runs, and the analysis reports the mixture.

Folders written before the ``base`` column existed (their manifest has no ``bases``) keep
their layout when resumed: new parts have the same columns as the old ones.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from diplomacy_sim.atomic import (  # one implementation of write-then-rename
    atomic_write,
    check_writable,
)
from diplomacy_sim.batch.design import Design, RunSpec, repeat_command
from diplomacy_sim.batch.experiment import LoadedExperiment
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.provenance import (
    Provenance,
    git_revision,
    model_fingerprint,
    package_versions,
)
from diplomacy_sim.scenario.loader import ScenarioError

MANIFEST = "manifest.json"
_PA_TYPES = {"float": pa.float64(), "int": pa.int64(), "str": pa.string(), "bool": pa.bool_()}




def _is_temp(p: Path) -> bool:
    """A hidden temporary file of an atomic write (a killed writer's leftover)."""
    return p.name.startswith(".") and ".tmp-" in p.name and p.is_file()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_table(path: Path, table: pa.Table) -> None:
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def summary_schema(design: Design, base_column: bool = True) -> pa.Schema:
    fields = [("run_id", pa.int64())]
    if base_column:
        fields += [("base", pa.string())]
    fields += [
        ("seed", pa.int64()), ("replication", pa.int64()),
        ("point", pa.int64()), ("doctrine", pa.string()), ("shock_regime", pa.string()),
    ]
    fields += [(name, _PA_TYPES[t]) for name, t in design.factor_columns.items()]
    fields += [("status", pa.string()), ("error", pa.string()), ("worker", pa.string()),
               ("duration_s", pa.float64()), ("steps", pa.int64()), ("people", pa.int64()),
               ("events", pa.int64())]
    fields += [(o, pa.float64()) for o in OUTCOMES]
    fields += [(f"mean_{o}", pa.float64()) for o in OUTCOMES]
    fields += [("repeat_command", pa.string())]
    return pa.schema(fields)


def timeseries_schema(base_column: bool = True) -> pa.Schema:
    return pa.schema(
        [("run_id", pa.int64())] + ([("base", pa.string())] if base_column else [])
        + [("replication", pa.int64()), ("doctrine", pa.string()),
           ("shock_regime", pa.string()), ("step", pa.int64())]
        + [(o, pa.float64()) for o in OUTCOMES]
    )


TIMESERIES_SCHEMA = timeseries_schema()


class ResultStore:
    """Appends finished chunks to ``DIR`` and knows which runs are already done."""

    def __init__(self, out: str | Path, exp: LoadedExperiment, design: Design) -> None:
        self.out = Path(out).absolute()  # never read as a URI ("http:/..") by pyarrow
        self.exp = exp
        self.design = design
        self.base_column = True
        """False when resuming a folder written before the ``base`` column existed."""
        self.schema = summary_schema(design)
        self.ts_schema = TIMESERIES_SCHEMA
        self.superseded = 0
        """Failed rows moved out of ``summaries/`` by :meth:`open` (``retry_failed``)."""
        self.keep_timeseries = exp.spec.outputs == "timeseries"
        self.by_id = {r.run_id: r for r in design.runs}
        self.manifest: dict[str, Any] = {}
        self.notes: list[str] = []
        """Things the user should know about the folder (printed by the CLI)."""
        self._git: list[str | None] = []

    def git_revision(self) -> str | None:
        """This checkout's git revision, asked of git once per store (two subprocesses):
        the new manifest and this process's session record the same one."""
        if not self._git:
            self._git.append(git_revision())
        return self._git[0]

    # ------------------------------------------------------------------ opening
    def open(self, retry_failed: bool = False, accept_code_change: bool = False) -> set[int]:
        """Create or resume ``DIR``; the ids of runs already finished (ok or failed).

        With ``retry_failed``, failed rows are first moved to ``superseded/`` (so they are
        not finished any more, and the runs are done again). Resuming a folder started by
        other model code is refused unless ``accept_code_change``.
        """
        manifest_path = self.out / MANIFEST
        if manifest_path.exists():
            try:
                old = json.loads(manifest_path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ScenarioError(str(self.out), [f"`{MANIFEST}` cannot be read: {exc}."]) \
                    from None
            if old.get("design_sha256") != self.exp.design_sha256:
                was = old.get("experiment", {})
                raise ScenarioError(str(self.out), [
                    f"holds the results of a different experiment (`{was.get('name')}` from "
                    f"{was.get('file')}, design {str(old.get('design_sha256'))[:12]}, "
                    f"status {old.get('status')}); this experiment is `{self.exp.spec.name}` "
                    f"from {self.exp.source} (design {self.exp.design_sha256[:12]}). A results "
                    "folder is never rewritten by another experiment: choose a new --out, or "
                    "delete the folder yourself."
                ])
            ok, failed = self.counts()
            if len(self.design.runs) - ok - (0 if retry_failed else failed) > 0:
                self._check_same_code(old, accept_code_change)  # before anything changes
            self.manifest = old
            if "bases" not in old:  # written before the `base` column: keep its layout
                self.base_column = False
                self.schema = summary_schema(self.design, base_column=False)
                self.ts_schema = timeseries_schema(base_column=False)
        else:
            problem = check_writable(self.out)
            if problem:
                raise ScenarioError(str(self.out), [f"cannot hold the results: {problem}."])
            stray = [p for p in self.out.iterdir() if not _is_temp(p)] \
                if self.out.is_dir() else []
            if stray:
                raise ScenarioError(str(self.out), [
                    f"exists and is not empty, but has no `{MANIFEST}`: it is not a sweep's "
                    "results folder. Choose a new --out (or an empty folder)."
                ])
            # the manifest comes first, before any other content: a folder this experiment
            # began is recognised (and resumed) at any instant of its life
            self.out.mkdir(parents=True, exist_ok=True)
            self.manifest = self._new_manifest()
            self.write_manifest()
        if self.exp.file_sha256 != self.manifest.get("experiment", {}).get("file_sha256"):
            # same design (checked above), other bytes: comments or layout were edited
            self.notes.append(
                f"the experiment file {self.exp.source} differs from the one that started "
                f"{self.out} only in comments or layout (the runs it defines are the same): "
                "resuming; the session records the file's new hash.")
        self._complete_layout()
        if retry_failed:
            self.superseded = self._supersede_failed()
        done = self._finished_ids()
        self._drop_orphan_timeseries()
        return done

    def _complete_layout(self) -> None:
        """Everything but the parts, written if missing (each file atomically): idempotent,
        so a sweep killed at any instant after its manifest resumes."""
        for sub in (self.out, *(self.out / d for d in ("summaries", "timeseries",
                                                        "superseded"))):
            for p in sub.iterdir() if sub.is_dir() else ():
                if _is_temp(p):  # a killed writer's leftover: never a result
                    p.unlink(missing_ok=True)
        (self.out / "summaries").mkdir(exist_ok=True)
        if self.keep_timeseries:
            (self.out / "timeseries").mkdir(exist_ok=True)
        if not (self.out / "experiment.yaml").exists():
            atomic_write(self.out / "experiment.yaml",
                         lambda p: shutil.copyfile(self.exp.source, p))
        if not (self.out / "design.json").exists():
            atomic_write(self.out / "design.json", lambda p: p.write_text(json.dumps({
                "problem": self.design.problem,
                "sample": None if self.design.sample is None else self.design.sample.tolist(),
                "factor_columns": self.design.factor_columns,
                "steps": self.design.steps,
            })))

    def _check_same_code(self, old: dict[str, Any], accept: bool) -> None:
        if accept:
            return
        was = Provenance.of_manifest(str(self.out), old)
        if was.model_code == model_fingerprint():
            return
        here = Provenance.here()
        raise ScenarioError(str(self.out), [
            f"was started by {was.describe()}, but the code here is {here.describe()}: "
            "resuming would mix runs of two versions of the model in one dataset. Run the "
            "experiment into a new --out folder; or, if you are sure the change cannot alter "
            "any result, resume with --accept-code-change (the manifest then records which "
            "code added which runs, and `diplomacy-sim analyse` reports the mixture)."
        ])

    def _new_manifest(self) -> dict[str, Any]:
        spec = self.exp.spec
        return {
            "experiment": {"name": spec.name, "title": spec.title, "file": self.exp.source,
                           "file_sha256": self.exp.file_sha256},
            "design_sha256": self.exp.design_sha256,
            "base_scenario": (self.exp.base_path if spec.bases is None
                              else [b.path for b in self.exp.bases.values()]),
            "bases": [{"name": b.name, "entry": b.entry, "file": b.path,
                       "file_sha256": b.file_sha256,
                       "scenario_sha256": hashlib.sha256(json.dumps(
                           b.scenario.model_dump(mode="json"), sort_keys=True).encode()
                       ).hexdigest()}
                      for b in (self.exp.bases.values() if self.exp.bases
                                else [self.exp.base_named(None)])],
            "master_seed": spec.master_seed,
            "seeds": spec.seeds,
            "replications": spec.replications,
            "steps": self.design.steps,
            "outputs": spec.outputs,
            "sampler": None if spec.sampler is None else {
                **spec.sampler.model_dump(mode="json"), "problem": self.design.problem,
                "points": None if self.design.sample is None else len(self.design.sample),
            },
            "runs_total": len(self.design.runs),
            "factor_columns": self.design.factor_columns,
            "versions": package_versions(),
            "git_revision": self.git_revision(),
            "model_code": model_fingerprint(),
            "started": now(),
            "ended": None,
            "status": "running",
            "sessions": [],
        }

    def _parts(self, sub: str) -> list[Path]:
        d = self.out / sub
        return sorted(p for p in d.glob("part-*.parquet")) if d.exists() else []

    def _finished_ids(self) -> set[int]:
        done: set[int] = set()
        for p in self._parts("summaries"):
            done.update(pq.read_table(p, columns=["run_id"]).column(0).to_pylist())
        return done

    def _supersede_failed(self) -> int:
        """Move every failed row out of ``summaries/`` into ``superseded/``; how many."""
        moved = 0
        for p in self._parts("summaries"):
            table = pq.read_table(p)
            status = table.column("status").to_pylist()
            keep = [s == "ok" for s in status]
            if all(keep):
                continue
            failed = table.filter(pa.array([not k for k in keep]))
            (self.out / "superseded").mkdir(exist_ok=True)
            dest = self.out / "superseded" / f"{p.stem}-{uuid.uuid4().hex[:8]}.parquet"
            _write_table(dest, failed)
            if any(keep):
                _write_table(p, table.filter(pa.array(keep)))
            else:
                p.unlink()  # its timeseries part (if any) is an orphan now, dropped next
            moved += failed.num_rows
        return moved

    def _drop_orphan_timeseries(self) -> None:
        names = {p.name for p in self._parts("summaries")}
        for p in self._parts("timeseries"):
            if p.name not in names:
                p.unlink()

    # ------------------------------------------------------------------ writing
    def start_session(self, executor: str, workers: int, todo: int,
                      retried_failed: int = 0) -> None:
        self.manifest["status"] = "running"
        self.manifest["ended"] = None
        session: dict[str, Any] = {"started": now(), "ended": None, "executor": executor,
                                   "workers": workers, "runs_to_do": todo,
                                   "host": platform.node(),
                                   "model_code": model_fingerprint(),
                                   "git_revision": self.git_revision(),
                                   "experiment_file_sha256": self.exp.file_sha256}
        if retried_failed:
            session["retried_failed"] = retried_failed
        self.manifest["sessions"].append(session)
        self.write_manifest()

    def write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2)
        atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    def end_session(self, status: str, ok: int, failed: int) -> None:
        self.manifest["sessions"][-1]["ended"] = now()
        self.manifest["status"] = status
        if status == "complete":
            self.manifest["ended"] = now()
        self.manifest["runs_ok"] = ok
        self.manifest["runs_failed"] = failed
        self.write_manifest()

    def write_chunk(self, rows: list[dict[str, Any]],
                    timeseries: Mapping[str, list[Any]] | None) -> None:
        """Append one finished chunk: its timeseries part first, then its summary part."""
        if not rows:
            return
        name = f"part-{min(r['run_id'] for r in rows):08d}-{uuid.uuid4().hex[:8]}.parquet"
        if self.keep_timeseries and timeseries is not None:
            ts = pa.Table.from_pydict({f: timeseries[f] for f in self.ts_schema.names},
                                      schema=self.ts_schema)
            atomic_write(self.out / "timeseries" / name, lambda p: pq.write_table(ts, p))
        table = pa.Table.from_pylist([self.complete_row(r) for r in rows], schema=self.schema)
        atomic_write(self.out / "summaries" / name, lambda p: pq.write_table(table, p))

    def complete_row(self, row: dict[str, Any]) -> dict[str, Any]:
        run: RunSpec = self.by_id[row["run_id"]]
        out = {
            "run_id": run.run_id,
            **({"base": self.exp.base_named(run.base).name} if self.base_column else {}),
            "seed": run.seed, "replication": run.replication,
            "point": run.point,
            "doctrine": run.doctrine or self.exp.base_named(run.base).scenario.doctrine,
            "shock_regime": run.shock_regime or "base",
            **run.values,
            "repeat_command": repeat_command(self.exp, run, self.design.steps),
        }
        out.update(row)
        return out

    def counts(self) -> tuple[int, int]:
        ok = failed = 0
        for p in self._parts("summaries"):
            status = pq.read_table(p, columns=["status"]).column(0).to_pylist()
            ok += sum(s == "ok" for s in status)
            failed += sum(s != "ok" for s in status)
        return ok, failed


__all__ = ["ResultStore", "atomic_write", "summary_schema", "timeseries_schema"]
