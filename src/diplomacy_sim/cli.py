"""``diplomacy-sim``: thin commands over the public API.

Bad input (a scenario file, an override, an experiment file) prints a clear message naming
the file and the field, and exits with code 2: never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from diplomacy_sim.limits import MAX_PEOPLE, MAX_RUNS_UNCONFIRMED, MAX_SEED
from diplomacy_sim.scenario.errors import ScenarioError
from diplomacy_sim.untrusted import cut, cut_tokens, parse_decimal, parse_int

EXIT_BAD_INPUT = 2
MAX_PATH_CHARS = 4096
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,252}|[0-9A-Fa-f:]{2,39}")
_SCHEDULER = re.compile(r"(tcp|tls)://([A-Za-z0-9][A-Za-z0-9.\-]{0,252}|\[[0-9A-Fa-f:]{2,39}\])"
                        r":[0-9]{1,5}")


class UserPath(click.ParamType):
    """A file path (or a shipped name) from the command line: checked before any use.

    Refuses a NUL byte and over-long text (the system would raise, not answer); whether the
    file exists and what it holds is checked by the bounded reader when it is read.
    """

    name = "path"

    def __init__(self, must_be_folder: bool = False) -> None:
        self.must_be_folder = must_be_folder

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> str:
        text = str(value)
        if "\x00" in text:
            self.fail("contains a NUL byte; allowed: a file system path.", param, ctx)
        if len(text) > MAX_PATH_CHARS:
            self.fail(f"is {len(text):,} characters long; allowed: a path of at most "
                      f"{MAX_PATH_CHARS:,} characters.", param, ctx)
        if not text.strip():
            self.fail("is empty; allowed: a file system path.", param, ctx)
        if self.must_be_folder:
            p = Path(text)
            try:
                ok = p.is_dir()
            except OSError as exc:
                self.fail(f"cannot be looked up: {exc.strerror}.", param, ctx)
            if not ok:
                self.fail(f"`{cut(text, 100)}` is not a folder; allowed: an existing "
                          "folder.", param, ctx)
        return text



class _Group(click.Group):
    """Turns ScenarioError (and friends) into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # click's own messages echo values: cut them short
            exc.message = cut_tokens(exc.message)
            raise
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except OSError as exc:  # the file system refused what was asked: say so, no traceback
            where = f" ({cut(str(exc.filename), 200)})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}.", err=True)
            sys.exit(EXIT_BAD_INPUT)


class _Number(click.ParamType):
    """A number from the command line, read by the page's readers (no click ``int`` or
    ``float``, which take ``²``, ``٣`` and ``1_000`` and, in ranges, ``nan``)."""

    def __init__(self, lo: Any, hi: Any, what: str) -> None:
        self.lo, self.hi, self.what = lo, hi, what

    def read(self, value: Any) -> tuple[Any, str | None]:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Any:
        if not isinstance(value, str):
            return value  # a default, given in code
        number, err = self.read(value)
        if err:
            self.fail(err, param, ctx)
        return number

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "..".join(f"{x:g}" if isinstance(x, float) else str(x)
                         for x in (self.lo, self.hi))


class WholeNumber(_Number):
    """A whole number (:func:`~diplomacy_sim.untrusted.parse_int`: ASCII digits only,
    length-checked, within ``[lo, hi]``)."""

    name = "integer"

    def read(self, value: str) -> tuple[int | None, str | None]:
        return parse_int(value, self.lo, self.hi, self.what)


class DecimalNumber(_Number):
    """A number (:func:`~diplomacy_sim.untrusted.parse_decimal`: ASCII only, finite, in
    range)."""

    name = "number"

    def read(self, value: str) -> tuple[float | None, str | None]:
        return parse_decimal(value, self.lo, self.hi, self.what)


@click.group(cls=_Group)
@click.version_option(package_name="diplomacy-sim")
def main() -> None:
    """Simulate system diplomacy in public services."""


@main.command("list")
def list_cmd() -> None:
    """List the shipped scenarios with a one-line description."""
    from diplomacy_sim.scenario.catalog import list_scenarios

    rows = list_scenarios()
    width = max(len(n) for n, _, _ in rows)
    for name, title, first in rows:
        click.echo(f"{name:<{width}}  {title}: {first}")


@main.command("shocks")
def shocks_cmd() -> None:
    """List the shock kinds a scenario may schedule, with their fields (from the registry)."""
    from diplomacy_sim.domain.shock_kinds import SHOCK_KINDS
    from diplomacy_sim.scenario.schema import SHOCK_CLASSES

    for name, kind in SHOCK_KINDS.items():
        fields = [f for f in SHOCK_CLASSES[name].model_fields if f not in ("kind", "label")]
        extra = "" if kind.injectable else " (scheduled only; not injected from the dashboard)"
        click.echo(f"{name}: {kind.summary}{extra}")
        click.echo(f"    fields: {', '.join(fields)}")
        if kind.excluded_sectors:
            click.echo(f"    not for: {', '.join(sorted(kind.excluded_sectors))} organisations")


@main.command()
@click.argument("files", nargs=-1, required=True, type=UserPath())
def validate(files: tuple[str, ...]) -> None:
    """Validate scenario or experiment files (or shipped names); report every problem in each.

    An experiment file (one with a `base` or `bases` and no `organisations`) is checked as
    `sweep` would check it, base scenarios included, and its design is sized.
    """
    from diplomacy_sim.scenario.loader import (
        file_kind,
        load_scenario,
        resolve_path,
        scenario_from_dict,
    )

    bad = 0
    for f in files:
        try:
            kind, data = file_kind(f)
            if kind == "experiment":
                from diplomacy_sim.batch.experiment import (
                    design_size,
                    load_experiment,
                    size_problem,
                )

                exp = load_experiment(f)
                runs, steps = design_size(exp), exp.spec.steps or exp.base.steps
                problem = size_problem(exp, runs, allow_large=True)  # past any flag's reach
                if problem:
                    raise ScenarioError(f, [problem + "."])
                large = "" if size_problem(exp, runs, allow_large=False) is None else \
                    "; `sweep` needs --allow-large for it"
                click.echo(f"{f}: ok (experiment {exp.spec.name}: {exp.spec.title}; "
                           f"{runs:,} runs of {steps} weeks on {', '.join(exp.bases)}{large})")
                continue
            s = load_scenario(f) if data is None else \
                scenario_from_dict(data, source=str(resolve_path(f)))
        except ScenarioError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{f}: ok ({s.title}; {s.n_people} people, {s.steps} weeks)")
    if bad:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario", type=UserPath())
@click.option("--seed", type=WholeNumber(0, MAX_SEED, "a seed"), default=None, help="Master seed.")
@click.option("--steps", type=WholeNumber(1, 5200, "a number of weeks"), default=None, help="Weeks to run.")
@click.option(
    "--doctrine",
    type=click.Choice(["command", "stewardship", "diplomacy", "fatalism"]),
    default=None,
)
@click.option("--people", type=WholeNumber(1, MAX_PEOPLE, "a number of people"), default=None,
              help="Scale to N people, keeping proportions.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override any scenario field, e.g. parameters.trust.loss_ratio=3.")
@click.option("--out", type=UserPath(), default=None,
              help="Folder to write the run to.")
@click.option("--engine", type=click.Choice(["vectorised", "reference"]), default="vectorised")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON (every figure unrounded) instead of a table.")
def run(
    scenario: str, seed: int | None, steps: int | None, doctrine: str | None,
    people: int | None, sets: tuple[str, ...], out: str | None, engine: str, quiet: bool,
    as_json: bool,
) -> None:
    """Run SCENARIO (a file or a shipped name) and print a summary table (--json: JSON)."""
    from tqdm import tqdm

    from diplomacy_sim import api
    from diplomacy_sim.domain.events import week_number
    from diplomacy_sim.scenario.loader import load_scenario, parse_override

    if out:
        problem = api.check_result_folder(out)  # before the run, not after it
        if problem:
            raise ScenarioError("--out", [problem + "."])
    overrides = dict(parse_override(s) for s in sets)
    if doctrine:
        overrides["doctrine"] = doctrine
    if seed is not None:
        overrides["seed"] = seed
    spec = load_scenario(scenario, overrides=overrides, people=people)
    if steps:
        # A shorter run simply never reaches the later shocks: leave them out, so that the
        # scenario.yaml written with the run is valid and repeats it exactly.
        later = [sh for sh in spec.shocks if sh.at >= steps]
        if later:
            click.echo(f"note: {len(later)} scheduled shock(s) from week "
                       f"{week_number(steps)} on fall "
                       f"after the {steps}-week run and are left out.", err=True)
        spec = spec.model_copy(
            update={"steps": steps, "shocks": [sh for sh in spec.shocks if sh.at < steps]}
        )
    bar = tqdm(total=spec.steps, desc=spec.name, unit="wk", disable=quiet, file=sys.stderr)

    def tick(done: int, total: int) -> None:
        bar.update(done - bar.n)

    result = api.run(spec, engine=engine, progress=tick)  # type: ignore[arg-type]
    bar.close()
    if out:
        api.write_result(result, Path(out))
        click.echo(f"wrote {out}/ (timeseries.parquet, timeseries.csv, events.jsonl, "
                   "summary.json, scenario.yaml)", err=True)
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        click.echo(summary_table(result.summary, result.events))


def summary_table(summary: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """A run's summary for people: each outcome at the last week and on average, rounded,
    with its unit; the shocks by week (numbered as everywhere: ``domain.events.week_number``,
    already in each event's ``week``)."""
    from diplomacy_sim.domain.outcomes import OUTCOME_TERMS
    from diplomacy_sim.domain.shocks import SHOCK_KINDS

    weeks = int(summary["steps"])
    head = (f"{summary['scenario']} · doctrine {summary['doctrine']} · seed {summary['seed']} · "
            f"{summary['people']:,} people · {weeks} weeks")
    rows = [("Outcome", f"Week {weeks}", "Mean", "Unit")]
    for key, (label, unit) in OUTCOME_TERMS.items():
        if key not in summary:
            continue
        digits = 1 if "people" in unit else 2
        rows.append((label, f"{summary[key]:.{digits}f}",
                     f"{summary['mean'][key]:.{digits}f}", unit))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [head, ""]
    for j, r in enumerate(rows):
        lines.append("  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]),
                                r[2].rjust(widths[2]), r[3]]).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    # one entry per shock: a budget cut's knock-on events share its week and kind
    shocks = list(dict.fromkeys(
        f"week {e['week']} {SHOCK_KINDS[e['kind']].label.lower()}"
        + (" (injected)" if e.get("injected") else "")
        for e in events if e["kind"] in SHOCK_KINDS))
    lines.append("")
    lines.append(f"{summary['events']:,} events; shocks: " + ("; ".join(shocks) or "none"))
    lines.append("(--json prints every figure unrounded; --out writes the files)")
    return "\n".join(lines)


def _db_option(f: Any) -> Any:
    return click.option(
        "--db", "db", type=UserPath(), default=None,
        help="Training-room database (SQLite). Default: $XDG_DATA_HOME/diplomacy_sim/"
             "rooms.sqlite (~/.local/share/... when unset).")(f)


def _open_db(db: str | None) -> Path:
    """The room database path, checked: a clear message (exit 2) if it cannot be used."""
    from diplomacy_sim.dashboard.server import StoreHeld, check_store_access
    from diplomacy_sim.room.registry import default_db_path
    from diplomacy_sim.room.store import Store, StoreError

    path = Path(db).expanduser() if db else default_db_path()
    try:
        check_store_access(path)  # never beside a server under another name or file
        Store(path).close()
    except (StoreError, StoreHeld, OSError) as exc:
        raise ScenarioError("--db", [str(exc)]) from None
    return path


def _check_listen_address(host: str, port: int) -> None:
    """``--host`` must name an address of this computer and ``--port`` be free on it: both
    are bound now (and let go), before anything is created, else exit 2 naming the option
    (the server would fail later with the resolver's or the socket's words only)."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.bind((*address[:1], 0, *address[2:]))  # the address, on any port
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ScenarioError("--host", [
            f"`{cut(host, 60)}` is not an address of this computer ({cut(reason, 80)}); "
            "allowed: one of its IP addresses (127.0.0.1 for this computer only, 0.0.0.0 "
            "for every network it is on) or a name that resolves to one."]) from None
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            sock.bind(address)
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        raise ScenarioError("--port", [
            f"port {port} on {cut(host, 60)} is "
            + ("in use by another program" if busy else
               f"not available ({cut(exc.strerror or str(exc), 80)})")
            + "; allowed: a free port (another --port, or stop what holds this one)."]) from None


def _refuse_held_db(db: str | None) -> None:
    """Exit 2 if a running server holds the room database, by this name or another."""
    from diplomacy_sim.dashboard.server import StoreHeld, hold_store
    from diplomacy_sim.room.registry import default_db_path

    path = Path(db).expanduser() if db else default_db_path()
    if not os.path.lexists(path):
        return  # a new database: no server can hold it
    try:
        hold_store(path).close()  # free: taken and let go (the server takes it for good)
    except (StoreHeld, OSError) as exc:
        raise ScenarioError("--db", [str(exc)]) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=WholeNumber(1, 65535, "a port"), default=8765, show_default=True)
@_db_option
@click.option("--joins-per-address", type=WholeNumber(1, 60, "a number of joins"), default=4, show_default=True,
              help="People one network address may join to a session. Raise it when the "
              "room's laptops reach the server through one shared address (a NAT or a proxy).")
@click.option("--trusted-proxy", "trusted_proxy", multiple=True, metavar="ADDR",
              help="A reverse proxy in front of this server (an IP address or network; "
              "repeatable; default: $DIPLOMACY_SIM_TRUSTED_PROXIES, else none). Only its "
              "X-Forwarded-For is believed, so each laptop behind it counts as itself.")
def dashboard(host: str, port: int, db: str | None, joins_per_address: int,
              trusted_proxy: tuple[str, ...]) -> None:
    """Serve the browser dashboard (Solara) and print its address."""
    from diplomacy_sim.dashboard.server import proxies_from_env, serve, trusted_proxies

    if not _HOST.fullmatch(host):
        raise ScenarioError("--host", [
            f"`{cut(host, 60)}` is not an address to listen on; allowed: an IP address "
            "(127.0.0.1, 0.0.0.0, ::1) or a host name of letters, digits, dots and dashes."])
    _check_listen_address(host, port)
    proxies = trusted_proxies(trusted_proxy, "--trusted-proxy") if trusted_proxy else \
        proxies_from_env()
    _refuse_held_db(db)  # before anything opens it: under another name, SQLite's own
    path = _open_db(db)  # journal would not see the other server's
    click.echo(f"Training rooms: {path}", err=True)
    if proxies:
        click.echo(f"Trusted proxies: {', '.join(proxies)}", err=True)
    serve(host, port, db=path, joins_per_address=joins_per_address, proxies=proxies)


@main.group()
def room() -> None:
    """Training-room sessions kept in the room database."""


@room.command("list")
@_db_option
def room_list(db: str | None) -> None:
    """List the sessions in the database: code, status, round, scenario."""
    from diplomacy_sim.room.registry import RoomRegistry

    reg = RoomRegistry(_open_db(db))
    for rec in reg.store.sessions():
        r = reg.get(rec.code)
        if r is not None:
            parent = f" (replay of {r.parent[0]} from round {r.parent[1]})" if r.parent else ""
            click.echo(f"{r.code}  {r.status:<7} {r.round_text:<14} {r.scenario_name}{parent}")
    for code, why in reg.broken.items():  # in the file, but not readable or not replayable
        click.echo(f"{cut(code, 20)}  damaged: {cut(' '.join(why.split()), 200)}")


@room.command("key")
@click.argument("code")
@_db_option
def room_key(code: str, db: str | None) -> None:
    """Give session CODE a new facilitator key (the old one stops working) and print it."""
    from diplomacy_sim.room.errors import NotSaved, RoomError
    from diplomacy_sim.room.registry import RoomRegistry

    reg = RoomRegistry(_open_db(db))
    try:
        key = reg.new_key(code)
    except NotSaved as exc:  # the old key still works: say why, in the command line's words
        raise ScenarioError("--db", [f"{exc.reason}; the old key still opens the session."]
                            ) from None
    except RoomError as exc:
        raise ScenarioError("CODE", [f"{exc} `diplomacy-sim room list` shows the sessions."]
                            ) from None
    click.echo(key)


@room.command("export")
@click.argument("code")
@click.option("--out", required=True, type=UserPath(),
              help="Folder for debrief.html, moves.csv, events.csv, outcomes.csv.")
@_db_option
def room_export(code: str, out: str, db: str | None) -> None:
    """Write the debrief pack of session CODE into --out."""
    from diplomacy_sim.atomic import check_result_folder
    from diplomacy_sim.room.export import PACK_FILES, PACK_MARKERS, export_pack
    from diplomacy_sim.room.registry import RoomRegistry

    problem = check_result_folder(out, PACK_FILES, "a debrief pack", PACK_MARKERS)
    if problem:  # never over a folder of other files
        raise ScenarioError("--out", [problem + "."])
    reg = RoomRegistry(_open_db(db))
    r = reg.get(code)
    if r is None:
        why = reg.missing(code) if reg.damaged(code) else f"no session {code[:20]!r}"
        raise ScenarioError("CODE", [f"{why} (in {reg.store.path}; `diplomacy-sim room list` "
                                     "shows the sessions)."])
    paths = export_pack(r, out, trusted=True, lineage=reg.lineage(r.code))
    click.echo(f"wrote {', '.join(str(p) for p in paths)}")



@main.command()
@click.argument("experiment", type=UserPath())
@click.option("--out", required=True, type=UserPath(),
              help="Results folder; re-running the same command on it resumes.")
@click.option("--workers", type=WholeNumber(0, 4096, "a number of workers"), default=None,
              help="Local worker processes (default: all cores; 0: serial, in this process).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Send the runs to this Dask scheduler instead of a local pool.")
@click.option("--chunk-seconds", type=DecimalNumber(0.01, 600, "a number of seconds"), default=0.5,
              show_default=True, help="Target duration of one task (a batch of runs).")
@click.option("--retry-failed", is_flag=True,
              help="On resume, run again the runs recorded as failed (their failed rows are "
                   "replaced; the old ones are kept in --out/superseded/).")
@click.option("--accept-code-change", is_flag=True,
              help="Resume a folder even though the model code changed since it was started "
                   "(refused by default: the runs of two model versions would be mixed).")
@click.option("--allow-large", is_flag=True,
              help=f"Start a design of more than {MAX_RUNS_UNCONFIRMED:,} runs (refused "
                   "without it).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(experiment: str, out: str, workers: int | None, scheduler: str | None,
          chunk_seconds: float, retry_failed: bool, accept_code_change: bool,
          allow_large: bool, quiet: bool) -> None:
    """Run (or resume) the EXPERIMENT file's runs into --out, in parallel."""
    if scheduler is not None and not _SCHEDULER.fullmatch(scheduler):
        raise ScenarioError("--scheduler", [
            f"`{cut(scheduler, 60)}` is not a Dask scheduler address; allowed: "
            "tcp://HOST:PORT (or tls://HOST:PORT), e.g. tcp://10.0.0.5:8786."])
    if workers is not None and scheduler is not None:
        raise ScenarioError("--workers", ["give --workers or --scheduler, not both "
                                          "(a Dask cluster has its own workers)."])
    if workers != 0 and scheduler is None:  # a local pool: its server imports the model
        from diplomacy_sim.batch import forkserver  # while this process imports the runner

        forkserver.start_early()
    from diplomacy_sim.batch.runner import sweep as run_sweep

    try:
        done = run_sweep(experiment, out, workers=workers, scheduler=scheduler,
                         progress=not quiet, chunk_seconds=chunk_seconds,
                         retry_failed=retry_failed, accept_code_change=accept_code_change,
                         allow_large=allow_large, announce=lambda m: click.echo(m, err=True))
    except KeyboardInterrupt:
        click.echo(f"interrupted: finished runs are kept in {out}/; run the same command "
                   "again to resume.", err=True)
        sys.exit(130)
    click.echo(
        f"{done.out}/: {done.ok} ok, {done.failed} failed of {done.total} runs "
        f"({done.skipped} already done, {done.ran} run now in {done.seconds:.1f} s)."
    )
    click.echo(f'load them with: pandas.read_parquet("{done.out}/summaries")')


@main.command()
@click.argument("results", type=UserPath(must_be_folder=True))
@click.option("--out", default=None, type=UserPath(),
              help="Report folder (default: RESULTS/report).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md",
              show_default=True)
@click.option("--discover", default=None, metavar="CONDITION",
              help='Scenario discovery (PRIM, needs the `ema` extra): the conditions under '
                   'which CONDITION holds, e.g. "integration < 0.2", "mean_trust >= 0.4 and '
                   'strain > 0.3", "winner == diplomacy" or "winner by user_outcome == '
                   'command".')
def analyse(results: str, out: str | None, fmt: str, discover: str | None) -> None:
    """Write a report (Markdown or HTML with PNG figures) on a sweep's RESULTS folder."""
    from diplomacy_sim.analysis.report import provenance_problems, write_report

    if discover is not None:
        from diplomacy_sim.analysis.discovery import parse
        from diplomacy_sim.ema import MissingExtra, require_ema

        parse(discover)  # a bad condition: exit 2, naming what is allowed
        try:
            require_ema()
        except MissingExtra as exc:
            raise ScenarioError("--discover", [str(exc) + "."]) from None
    try:  # the report folder is checked first, before any work
        path = write_report(results, out=out, fmt=fmt, discover=discover)
    except FileExistsError as exc:
        raise ScenarioError("--out", [str(exc) + "."]) from None
    for problem in provenance_problems(results):
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"wrote {path}")


@main.command("validate-patterns")
@click.argument("runs", type=UserPath())
@click.option("--docs", default="docs", show_default=True, type=UserPath(),
              help="Docs folder: results.json and figures go to DOCS/figures/validation, and "
                   "the generated tables of DOCS/validation.md are rewritten.")
@click.option("--run", "run_sweeps", is_flag=True,
              help="Also write the experiment files and run (or resume) every validation "
                   "sweep into RUNS first: the whole validation in one command.")
@click.option("--write-experiments", is_flag=True,
              help="Write experiments/validation/ from the pre-registration and the shipped "
                   "scenarios, then stop (unless --run).")
@click.option("--workers", type=WholeNumber(0, 64, "a number of workers"), default=2, show_default=True,
              help="Worker processes of the sweeps (0: serial).")
@click.option("--accept-mixed-code", is_flag=True,
              help="Write the results even when the sweeps do not all come from the model "
                   "code here (the problems are recorded in results.json).")
@click.option("--experiments", "experiments_dir", default=None,
              type=UserPath(),
              help="The experiment files the sweeps ran (default: the shipped "
                   "experiments/validation); a sweep whose design differs from its file's is "
                   "reported.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def validate_patterns(runs: str, docs: str, run_sweeps: bool, write_experiments: bool,
                      workers: int, accept_mixed_code: bool, experiments_dir: str | None,
                      quiet: bool) -> None:
    """Pattern-oriented validation (docs/validation.md) on the sweeps under RUNS."""
    from diplomacy_sim.analysis import validation_run as vr
    from diplomacy_sim.analysis.validation_design import (
        EXPERIMENT_DIR,
        load_preregistration,
    )
    from diplomacy_sim.analysis.validation_design import (
        write_experiments as write_files,
    )

    exp_dir = Path(experiments_dir) if experiments_dir else EXPERIMENT_DIR
    if write_experiments and not run_sweeps:
        n = len(write_files(load_preregistration(), exp_dir))
        click.echo(f"wrote {n} experiment and scenario files under {exp_dir}")
        return
    if not run_sweeps and not Path(runs).is_dir():
        raise ScenarioError(runs, ["no such folder: run the sweeps first (add --run, or see "
                                   "docs/validation.md, 'How to reproduce')."])
    code = vr.run_all(Path(runs), Path(docs), workers=workers, write=run_sweeps,
                      run=run_sweeps, accept_mixed_code=accept_mixed_code,
                      progress=not quiet, echo=click.echo, experiments=exp_dir)
    if code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
