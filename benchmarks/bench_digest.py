"""Bit-for-bit check of a speed change: digests of 31 runs, a git ref against this checkout.

    .venv/bin/python benchmarks/bench_digest.py [REF]     # compare with REF (default: main)
    .venv/bin/python benchmarks/bench_digest.py --here    # only print this checkout's digests

Each run's digest hashes its outcome rows, its events and every array of its final state
(people, ties, organisations, initiatives, services). The runs: all six shipped scenarios
at four seeds, the default scenario under each of the four doctrines, 1,000 people in two
scenarios, and 10,000 people for 30 weeks. Both versions are loaded side by side in one
process (the base unpacked by ``bench_ab.unpack_base``). A speed change must give the same
digest for every run; the first run that differs is named and the exit code is 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ab import unpack_base

SCENARIOS = ("integrated_discharge", "austerity_perfect_storm", "devolution_reorganisation",
             "icb_merger", "national_body_abolition", "safeguarding_hub")
DOCTRINES = ("command", "stewardship", "diplomacy", "fatalism")


def cases() -> list[tuple[str, str, dict[str, Any], int | None, int]]:
    """(label, scenario, update, people, seed) for each of the 31 runs."""
    out: list[tuple[str, str, dict[str, Any], int | None, int]] = []
    for name in SCENARIOS:
        for seed in (0, 1, 7, 20261101):
            out.append((f"{name} seed {seed}", name, {}, None, seed))
    for d in DOCTRINES:
        out.append((f"integrated_discharge {d}", "integrated_discharge", {"doctrine": d},
                    None, 3))
    for name in ("integrated_discharge", "austerity_perfect_storm"):
        out.append((f"{name} 1,000 people", name, {"steps": 60}, 1000, 5))
    out.append(("integrated_discharge 10,000 people, 30 weeks", "integrated_discharge",
                {"steps": 30}, 10_000, 11))
    return out


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode())
        h.update(str(value.shape).encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
    elif isinstance(value, dict):
        for k in sorted(value, key=str):
            h.update(repr(k).encode())
            _feed(h, value[k])
    elif isinstance(value, (list, tuple)):
        for v in value:
            _feed(h, v)
    else:
        h.update(repr(value).encode())


def digest(model: Any, sentences: bool = True) -> str:
    """The run's hash; without ``sentences``, each event by its week, kind, actors and
    whether it was injected (for a change of the events' words, not of what happened)."""
    h = hashlib.sha256()
    _feed(h, model.rows)
    _feed(h, [repr(e) if sentences else repr((e.step, e.kind, e.actors, e.injected))
              for e in model.events])
    _feed(h, model.state)
    return h.hexdigest()


def digests(model_module: Any, loader: Any, sentences: bool = True) -> list[str]:
    cls = getattr(model_module, "DiplomacyCore", model_module.DiplomacyModel)
    out = []
    for _label, name, update, people, seed in cases():
        spec = loader.load_scenario(name, people=people)
        if update:
            spec = spec.model_copy(update=update)
        m = cls(spec, seed=seed)
        m.run_to_end()
        out.append(digest(m, sentences))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref", nargs="?", default="main", help="git ref of the base (default main)")
    ap.add_argument("--here", action="store_true", help="only print this checkout's digests")
    ap.add_argument("--without-sentences", action="store_true",
                    help="hash events without their text and cause (a change of wording)")
    args = ap.parse_args()
    sentences = not args.without_sentences
    import diplomacy_sim.model.model as new_model
    import diplomacy_sim.scenario.loader as new_loader

    labels = [c[0] for c in cases()]
    new = digests(new_model, new_loader, sentences)
    if args.here:
        for label, d in zip(labels, new, strict=True):
            print(f"{d[:16]}  {label}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        unpack_base(args.ref, Path(tmp))
        sys.path.insert(0, str(Path(tmp) / "src"))
        import diplomacy_sim_base.model.model as base_model  # type: ignore[import-not-found]
        import diplomacy_sim_base.scenario.loader as base_loader  # type: ignore[import-not-found]

        base = digests(base_model, base_loader, sentences)
    bad = [label for label, a, b in zip(labels, base, new, strict=True) if a != b]
    for label in bad:
        print(f"DIFFERS: {label}")
    print(f"{len(labels) - len(bad)} of {len(labels)} runs bit-identical to {args.ref}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
