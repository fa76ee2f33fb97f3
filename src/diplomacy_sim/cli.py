"""``diplomacy-sim``: thin commands over the public API.

Bad input (a scenario file, an override, an experiment file) prints a clear message naming
the file and the field, and exits with code 2: never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from diplomacy_sim.batch.design import MAX_RUNS_UNCONFIRMED
from diplomacy_sim.scenario.loader import ScenarioError
from diplomacy_sim.scenario.schema import MAX_PEOPLE, MAX_SEED

EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """Turns ScenarioError (and friends) into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except OSError as exc:  # the file system refused what was asked: say so, no traceback
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}.", err=True)
            sys.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group)
@click.version_option(package_name="diplomacy-sim")
def main() -> None:
    """Simulate system diplomacy in public services."""


@main.command("list")
def list_cmd() -> None:
    """List the shipped scenarios with a one-line description."""
    from diplomacy_sim.scenario.loader import list_scenarios

    rows = list_scenarios()
    width = max(len(n) for n, _, _ in rows)
    for name, title, first in rows:
        click.echo(f"{name:<{width}}  {title}: {first}")


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Validate scenario files; report every problem in each."""
    from diplomacy_sim.scenario.loader import load_scenario

    bad = 0
    for f in files:
        try:
            s = load_scenario(f)
        except ScenarioError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{f}: ok ({s.title}; {s.n_people} people, {s.steps} weeks)")
    if bad:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None, help="Master seed.")
@click.option("--steps", type=click.IntRange(1, 5200), default=None, help="Weeks to run.")
@click.option(
    "--doctrine",
    type=click.Choice(["command", "stewardship", "diplomacy", "fatalism"]),
    default=None,
)
@click.option("--people", type=click.IntRange(1, MAX_PEOPLE), default=None,
              help="Scale to N people, keeping proportions.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override any scenario field, e.g. parameters.trust.loss_ratio=3.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder to write the run to.")
@click.option("--engine", type=click.Choice(["vectorised", "reference"]), default="vectorised")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(
    scenario: str, seed: int | None, steps: int | None, doctrine: str | None,
    people: int | None, sets: tuple[str, ...], out: str | None, engine: str, quiet: bool,
) -> None:
    """Run SCENARIO (a file or a shipped name) and print its summary."""
    from tqdm import tqdm

    from diplomacy_sim import api
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
            click.echo(f"note: {len(later)} scheduled shock(s) from week {steps} on fall "
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
    click.echo(json.dumps(result.summary, indent=2))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
def dashboard(host: str, port: int) -> None:
    """Serve the browser dashboard (Solara) and print its address."""
    from diplomacy_sim.dashboard.server import serve

    serve(host, port)



@main.command()
@click.argument("experiment")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Results folder; re-running the same command on it resumes.")
@click.option("--workers", type=click.IntRange(0, 4096), default=None,
              help="Local worker processes (default: all cores; 0: serial, in this process).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Send the runs to this Dask scheduler instead of a local pool.")
@click.option("--chunk-seconds", type=click.FloatRange(0.01, 600), default=0.5,
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
    from diplomacy_sim.batch.runner import sweep as run_sweep

    if workers is not None and scheduler is not None:
        raise ScenarioError("--workers", ["give --workers or --scheduler, not both "
                                          "(a Dask cluster has its own workers)."])
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
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Report folder (default: RESULTS/report).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md",
              show_default=True)
def analyse(results: str, out: str | None, fmt: str) -> None:
    """Write a report (Markdown or HTML with PNG figures) on a sweep's RESULTS folder."""
    from diplomacy_sim.analysis.report import provenance_problems, write_report

    path = write_report(results, out=out, fmt=fmt)
    for problem in provenance_problems(results):
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
