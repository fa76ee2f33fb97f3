"""Running a sweep: chunks of runs on any ``concurrent.futures.Executor``.

One path for every backend: a serial in-process executor, a local process pool, or a Dask
cluster (``distributed.Client(address).get_executor()``). Runs are grouped into chunks that
take about ``chunk_seconds`` each, so per-task scheduling overhead stays small; chunks shrink
towards the end so the workers finish together.

Failure handling:

* a run that raises is caught inside :func:`run_chunk` and recorded as ``failed`` with its
  error; the chunk and the sweep go on;
* a task that fails without a result (its worker process died: ``BrokenProcessPool`` from a
  process pool, ``KilledWorker`` from Dask) puts its runs on a suspect list. The pool is
  rebuilt, and the suspects are retried one run per task, one at a time, on fresh workers:
  the runs that succeed are kept, and a run that kills its worker again is recorded as failed.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from diplomacy_sim.batch import forkserver
from diplomacy_sim.batch.design import (
    Design,
    RunSpec,
    build_design,
    estimate_seconds,
)
from diplomacy_sim.batch.experiment import (
    LoadedExperiment,
    design_size,
    load_experiment,
    size_problem,
)
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.loader import ScenarioError


# --------------------------------------------------------------------------- worker side
@dataclass(frozen=True)
class Chunk:
    """A task: some runs of one experiment, with the base scenario(s) they modify."""

    base_data: dict[str | None, dict[str, Any]]
    """Base scenario data by base name (only the bases this chunk's runs use)."""
    steps: int
    people: int | None
    keep_timeseries: bool
    runs: list[RunSpec]
    raise_in_runs: frozenset[int] = frozenset()
    exit_in_runs: frozenset[int] = frozenset()


@dataclass
class ChunkResult:
    rows: list[dict[str, Any]]
    timeseries: dict[str, list[Any]] | None


_TS_KEYS = ("run_id", "base", "replication", "doctrine", "shock_regime", "step", *OUTCOMES)


def _one(chunk: Chunk, run: RunSpec, worker: str) -> tuple[dict[str, Any], Any]:
    """One run: its summary row and (when kept) its weekly record, ``model.rows``. The
    model is the Mesa-free core and nothing here makes a data frame: a worker imports
    neither Mesa nor pandas (tests/test_startup.py)."""
    from diplomacy_sim import api
    from diplomacy_sim.scenario.loader import apply_overrides, scale_people, scenario_from_dict

    t0 = time.perf_counter()
    try:
        if run.run_id in chunk.raise_in_runs:
            raise RuntimeError(f"fault injection: run {run.run_id} raises (test-only knob)")
        if run.run_id in chunk.exit_in_runs:
            if multiprocessing.parent_process() is not None or os.environ.get("DASK_WORKER"):
                os._exit(13)
            raise RuntimeError(f"fault injection: run {run.run_id} would kill its worker")
        data = apply_overrides(chunk.base_data[run.base], run.overrides(chunk.steps),
                               source="experiment")
        scenario = scenario_from_dict(data, source=f"run {run.run_id}")
        if chunk.people is not None:
            scenario = scale_people(scenario, chunk.people)
        model = api.simulate(scenario, seed=run.seed)
        s = api.summarise(model)
    except Exception as exc:
        row = {"run_id": run.run_id, "status": "failed", "worker": worker,
               "error": "".join(traceback.format_exception_only(exc)).strip(),
               "duration_s": time.perf_counter() - t0}
        return row, None
    row = {"run_id": run.run_id, "status": "ok", "error": None, "worker": worker,
           "duration_s": time.perf_counter() - t0, "steps": s["steps"], "people": s["people"],
           "events": s["events"], "doctrine": s["doctrine"]}
    for o in OUTCOMES:
        row[o] = s[o]
        row[f"mean_{o}"] = s["mean"][o]
    return row, model.rows if chunk.keep_timeseries else None


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every run of a chunk; a run that raises becomes a failed row. Picklable, top level."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    rows = []
    ts: dict[str, list[Any]] | None = {k: [] for k in _TS_KEYS} if chunk.keep_timeseries else None
    for run in chunk.runs:
        row, record = _one(chunk, run, worker)
        rows.append(row)
        if ts is not None and record is not None:
            n = len(record)
            ts["run_id"] += [run.run_id] * n
            ts["base"] += [run.base] * n
            ts["replication"] += [run.replication] * n
            ts["doctrine"] += [row["doctrine"]] * n
            ts["shock_regime"] += [run.shock_regime or "base"] * n
            # the sweep store keeps the model's 0-based step (the analyses' time axis);
            # a run's own files number weeks from 1 (domain.events.week_number)
            ts["step"] += [int(r["step"]) for r in record]
            for col in OUTCOMES:
                ts[col] += [float(r[col]) for r in record]
    return ChunkResult(rows=rows, timeseries=ts)


# --------------------------------------------------------------------------- executors
class SerialExecutor(Executor):
    """Runs each task at submission, in this process: the reference for identical results."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        f: Future[Any] = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            f.set_exception(exc)
        return f


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers fork from a server that already imported the package.

    ``forkserver`` rather than ``fork``: forking a process that runs threads (progress bar,
    Dask) is unsafe, and ``spawn`` would re-import numpy, pandas and Mesa in every worker.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=forkserver.context())
    # Start the server and the workers now, on a thread: starting the first worker waits
    # until the server has imported the model (about a second), and the caller meanwhile
    # estimates, builds the design and opens the store. A later submit waits for the
    # pool's own lock, so it never sees a half-started pool.
    threading.Thread(target=_start_workers, args=(pool, workers), daemon=True,
                     name="diplomacy-sim-pool-start").start()
    return pool


def _start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    try:
        for _ in range(workers):
            pool.submit(_ready)
    except RuntimeError:  # shut down (an error, an interrupt) before the workers started
        pass


def _submit_on_thread(executor: Executor, fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``executor.submit(fn, *args)`` made on a thread; its result (or error) in the future
    returned at once.

    A process pool's submissions wait for the pool's lock, which the thread starting its
    workers holds until the fork server has imported the model: a submission on the
    caller's thread would hold the caller up for as long (about half a second), while it
    could be building the design and opening the store.
    """
    out: Future[Any] = Future()

    def relay(inner: Future[Any]) -> None:
        try:
            out.set_result(inner.result())
        except BaseException as exc:  # the task's error, or its worker's death
            out.set_exception(exc)

    def go() -> None:
        try:
            inner = executor.submit(fn, *args)
        except BaseException as exc:  # shut down or broken before it was submitted
            out.set_exception(exc)
        else:
            inner.add_done_callback(relay)

    threading.Thread(target=go, daemon=True, name="diplomacy-sim-first-task").start()
    return out


def _ready() -> None:
    """A no-op task: makes the pool start its worker processes."""


def _warm_writer() -> None:
    """Import what the store's first write needs, on a thread, while the first chunks run.

    pyarrow imports pandas the first time it builds a table (about 0.4 CPU s); on the main
    thread that would hold up the next submissions while the workers sit idle. The main
    thread only waits on futures meanwhile; if the write comes first, it waits for the
    same import (the import lock), so nothing runs twice.
    """
    try:
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:  # the write itself reports it
        pass


class _Backend:
    """An executor plus how to rebuild it after a worker died."""

    def __init__(self, kind: str, workers: int, scheduler: str | None = None,
                 executor: Executor | None = None) -> None:
        self.kind = kind
        self.workers = workers
        self.scheduler = scheduler
        self.client: Any = None
        self.executor: Executor
        if executor is not None:
            self.executor = executor
        elif kind == "serial":
            self.executor = SerialExecutor()
        elif kind == "process":
            self.executor = process_pool(workers)
        else:
            from distributed import Client

            self.client = Client(scheduler)
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.executor = self.client.get_executor()

    @property
    def rebuildable(self) -> bool:
        return self.kind == "process"

    def rebuild(self) -> None:
        self.shutdown(hard=True)
        self.executor = process_pool(self.workers)

    def shutdown(self, hard: bool = False) -> None:
        if isinstance(self.executor, ProcessPoolExecutor):
            procs = list((getattr(self.executor, "_processes", None) or {}).values())
            if hard:
                for p in procs:
                    if p.is_alive():
                        p.terminate()
            self.executor.shutdown(wait=not hard, cancel_futures=True)
        if self.client is not None:
            self.client.close()
            self.client = None

    def describe(self) -> str:
        if self.kind == "dask":
            return f"dask {self.scheduler or 'executor'}"
        return self.kind


# --------------------------------------------------------------------------- the sweep
@dataclass
class SweepOutcome:
    """What a sweep did: counts, and where the results are."""

    out: Path
    total: int
    skipped: int
    ran: int
    ok: int
    failed: int
    seconds: float
    tasks: int
    retried: int = 0
    chunk_sizes: list[int] = field(default_factory=list)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _announce_estimate(announce: Callable[[str], None], exp: LoadedExperiment, n_runs: int,
                       nworkers: int, seconds: float) -> None:
    announce(f"{exp.spec.name}: {n_runs:,} runs, about {_duration(seconds)} on "
             f"{nworkers} worker(s) (estimated from one short timed run).")


def _estimate_result(estimate: Future[float], exp: LoadedExperiment, n_runs: int,
                     nworkers: int) -> float:
    """The pool's estimate; if its worker died (the pool is then rebuilt when the runs are
    submitted), the same timed run in this process."""
    try:
        return estimate.result()
    except Exception:
        return estimate_seconds(exp, n_runs, nworkers)


def _chunk_size(per_run: float | None, pending: int, workers: int, target: float) -> int:
    if per_run is None:
        return 1
    size = max(1, math.ceil(target / max(per_run, 1e-4)))
    tail = max(1, pending // (2 * workers))  # small chunks at the end: workers finish together
    return int(min(size, tail, 10_000))


def sweep(
    experiment: str | Path | LoadedExperiment,
    out: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    progress: bool = True,
    chunk_seconds: float = 0.5,
    on_chunk: Callable[[int], None] | None = None,
    retry_failed: bool = False,
    accept_code_change: bool = False,
    allow_large: bool = False,
    announce: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run (or resume) an experiment into ``out``.

    Args:
        experiment: a file, a shipped experiment's name, or a loaded experiment.
        out: the results folder; re-running on the same folder resumes.
        workers: local worker processes (default: this machine's cores); 0 runs serially
            in this process.
        scheduler: address of a Dask scheduler (``tcp://host:8786``): the runs go there.
        executor: any ``concurrent.futures.Executor`` to use instead (e.g. a Dask client's).
        progress: show a progress bar on stderr.
        chunk_seconds: target duration of one task.
        on_chunk: called with the number of runs stored after each chunk (tests use it).
        retry_failed: on resume, run again the runs recorded as failed; their failed rows are
            moved out of ``summaries/`` (to ``superseded/``), so the dataset keeps one row
            per run, the latest.
        accept_code_change: resume a folder started by other model code (refused by
            default: see :mod:`diplomacy_sim.batch.store`).
        allow_large: start a design of more than ``MAX_RUNS_UNCONFIRMED`` runs.
        announce: called with the run count and the estimated time before anything starts.
    """
    exp = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    n_runs = design_size(exp)  # sized before anything is built, started or written
    nworkers = 1 if workers == 0 or (executor is None and scheduler is not None) else (
        workers or os.cpu_count() or 1)
    problem = size_problem(exp, n_runs, allow_large)
    # a local pool starts its workers now (unless the design is refused): they import the
    # model while this process estimates the time, builds the design and opens the store
    early = executor is None and scheduler is None and workers != 0 and not problem
    if early:
        backend = _Backend("process", workers or os.cpu_count() or 1)
    estimate: Future[float] | None = None
    try:
        if announce is not None and early:
            # the timed short run goes to the pool's first worker, which has the model
            # imported already: this process never imports the model, and it builds the
            # design and opens the store meanwhile (submitted on a thread: see there)
            estimate = _submit_on_thread(backend.executor, estimate_seconds, exp, n_runs,
                                         nworkers)
        elif announce is not None:  # the estimate first, even for a refused design
            _announce_estimate(announce, exp, n_runs, nworkers,
                               estimate_seconds(exp, n_runs, nworkers))
        if problem:
            raise ScenarioError(exp.source, [problem + "."])
        design: Design = build_design(exp)
        from diplomacy_sim.batch.store import ResultStore

        store = ResultStore(out, exp, design)
        done = store.open(retry_failed=retry_failed, accept_code_change=accept_code_change)
        if early and len(done) < len(design.runs):
            # pandas for the first write, imported while this process has nothing else to
            # do: waiting for the pool's first worker, then for results
            threading.Thread(target=_warm_writer, daemon=True,
                             name="diplomacy-sim-warm-writer").start()
        if estimate is not None and announce is not None:
            # still the first message, and still before any run starts; the store opened
            # (its code fingerprint: about 0.3 s) while the worker imported the model
            _announce_estimate(announce, exp, n_runs, nworkers, _estimate_result(
                estimate, exp, n_runs, nworkers))
    except BaseException:
        if early:
            backend.shutdown(hard=True)
        raise
    if announce is not None:
        for note in store.notes:
            announce(f"note: {note}")
    todo = [r for r in design.runs if r.run_id not in done]

    if executor is not None:
        backend = _Backend("custom", workers or 1, executor=executor)
    elif scheduler is not None:
        backend = _Backend("dask", 1, scheduler=scheduler)
    elif workers == 0:
        backend = _Backend("serial", 1)

    fault = exp.spec.fault_injection
    base_data = {name: exp.base_named(name).data for name in {r.base for r in design.runs}}
    template = Chunk(
        base_data={}, steps=design.steps, people=exp.spec.people,
        keep_timeseries=exp.spec.outputs == "timeseries", runs=[],
        raise_in_runs=frozenset(fault.raise_in_runs if fault else ()),
        exit_in_runs=frozenset(fault.exit_in_runs if fault else ()),
    )

    from tqdm import tqdm

    bar = tqdm(total=len(design.runs), initial=len(done), unit="run", disable=not progress,
               desc=exp.spec.name, dynamic_ncols=True, smoothing=0.05)
    if backend.kind not in ("serial", "process") and todo:  # a pool's began above
        threading.Thread(target=_warm_writer, daemon=True,
                         name="diplomacy-sim-warm-writer").start()
    pending: deque[RunSpec] = deque(todo)
    suspects: deque[RunSpec] = deque()
    inflight: dict[Future[ChunkResult], tuple[list[RunSpec], bool]] = {}
    per_run: float | None = None
    ran = failed = tasks = retried = 0
    sizes: list[int] = []
    t0 = time.perf_counter()
    status = "interrupted"
    started = False

    def submit(runs: list[RunSpec], isolated: bool) -> bool:
        nonlocal tasks
        chunk = replace(template, runs=runs,
                        base_data={b: base_data[b] for b in {r.base for r in runs}})
        try:
            fut = backend.executor.submit(run_chunk, chunk)
        except BrokenProcessPool:  # broke before we noticed: nothing of this task ran
            (suspects if isolated else pending).extendleft(reversed(runs))
            return False
        inflight[fut] = (runs, isolated)
        tasks += 1
        sizes.append(len(runs))
        return True

    def record(rows: list[dict[str, Any]], ts: dict[str, list[Any]] | None) -> None:
        nonlocal ran, failed, per_run
        store.write_chunk(rows, ts)
        ran += len(rows)
        nfail = sum(r["status"] != "ok" for r in rows)
        failed += nfail
        durations = [r["duration_s"] for r in rows if r["status"] == "ok"]
        if durations:
            mean = sum(durations) / len(durations)
            per_run = mean if per_run is None else 0.7 * per_run + 0.3 * mean
        bar.update(len(rows))
        bar.set_postfix(failed=failed, refresh=False)
        if on_chunk is not None:
            on_chunk(ran)

    def fill() -> bool:
        """Submit chunks until ``2 x workers`` are in flight; False if the pool broke."""
        while pending and len(inflight) < 2 * backend.workers:
            size = _chunk_size(per_run, len(pending), backend.workers, chunk_seconds)
            if not submit([pending.popleft() for _ in range(min(size, len(pending)))], False):
                return False
        return True

    try:
        # the first chunks go out before the session is recorded (its git revision: two
        # subprocesses); nothing is written until the session is in the manifest
        first_broken = not fill()
        store.start_session(backend.describe(), backend.workers, len(todo),
                            retried_failed=store.superseded)
        started = True
        while pending or suspects or inflight:
            broken = first_broken or not fill()
            first_broken = False
            if not pending and not inflight and suspects and not broken:
                retried += 1
                broken = not submit([suspects.popleft()], True)  # alone: a killer is pinned
            finished = wait(list(inflight), return_when=FIRST_COMPLETED)[0] if inflight else set()
            for fut in finished:
                runs, isolated = inflight.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # the task, not a run, failed: its worker died
                    broken = broken or isinstance(exc, BrokenProcessPool)
                    if isolated:
                        why = f"worker died while running it, twice ({type(exc).__name__}: {exc})"
                        record([{"run_id": r.run_id, "status": "failed", "error": why,
                                 "duration_s": float("nan")} for r in runs], None)
                    else:
                        suspects.extend(runs)
                else:
                    record(res.rows, res.timeseries)
            if broken and backend.rebuildable:
                # every task still on the broken pool fails too: collect them, then rebuild
                for fut in list(inflight):
                    runs, isolated = inflight.pop(fut)
                    try:
                        res = fut.result()
                    except Exception:
                        if isolated:
                            suspects.appendleft(runs[0])
                        else:
                            suspects.extend(runs)
                    else:
                        record(res.rows, res.timeseries)
                backend.rebuild()
            elif broken:
                raise RuntimeError("the executor is broken and cannot be rebuilt")
        status = "complete"
    finally:
        bar.close()
        backend.shutdown(hard=status != "complete")
        ok, nfailed = store.counts()
        if started:  # else the first submission failed: no session of this process began
            store.end_session(status, ok, nfailed)

    return SweepOutcome(out=Path(out), total=len(design.runs), skipped=len(done), ran=ran,
                        ok=ok, failed=nfailed, seconds=time.perf_counter() - t0, tasks=tasks,
                        retried=retried, chunk_sizes=sizes)


__all__ = ["Chunk", "ChunkResult", "SerialExecutor", "SweepOutcome", "run_chunk", "sweep"]
