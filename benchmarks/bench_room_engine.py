"""The training room's engine, without a browser: CPU time of the server-side work.

- close: closing a round of 13 weeks (every move applied, the autopilot for the other roles,
  the weeks run on the session and on its counterfactual, the round written to the store);
- submit: checking and storing one participant's moves (the engine's share of the move
  round trip; bench_room.py measures the whole trip through real browsers);
- restart: a new registry on the same database rebuilding 3 rooms of 8 played rounds each
  from their seeds and logs.

Per scenario: the default one (integrated_discharge, 43 people) and the largest shipped
(devolution_reorganisation, 418 people). Medians of CPU time (``time.process_time``) over
every round of several sessions, in one process. Targets (issue 9): closing a 13-week
round with its counterfactual <= 1 s. Exits non-zero if missed.

    .venv/bin/python benchmarks/bench_room_engine.py [--sessions 3] [--rounds 8] [--no-readme]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import replace_section

TARGET_CLOSE = 1.0
SCENARIOS = ("integrated_discharge", "devolution_reorganisation")


def bench(scenario: str, sessions: int, rounds: int) -> dict[str, float]:
    from diplomacy_sim.room import RoomRegistry

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "rooms.sqlite"
        reg = RoomRegistry(db)
        close, submit = [], []
        for s in range(sessions):
            room, key = reg.create(scenario, seed=100 + s, rounds=rounds)
            leaders = [r.id for r in room.roles() if r.kind == "leader"][:3]
            tokens = {}
            for i, rid in enumerate(leaders):
                tokens[rid] = room.join(f"P{i}")
                room.take_role(tokens[rid], rid)
            for _ in range(rounds):
                room.open_round(key)
                alive = {r.id for r in room.roles() if r.alive}
                for rid, tok in tokens.items():
                    if rid not in alive:  # its organisation was merged or abolished
                        continue
                    cat = {m["kind"]: m for m in room.move_catalogue(tok)}
                    person = cat["meet"]["fields"][0]["options"][0][0]
                    t0 = time.process_time()
                    room.submit_moves(tok, [{"kind": "meet", "person_b": person}])
                    submit.append(time.process_time() - t0)
                t0 = time.process_time()
                room.close_round(key)
                close.append(time.process_time() - t0)
        reg.close()
        t0 = time.process_time()
        again = RoomRegistry(db)
        restart = time.process_time() - t0
        again.close()
    return {"close": statistics.median(close), "close_max": max(close),
            "submit": statistics.median(submit), "restart": restart, "n": len(close)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    rows = []
    ok = True
    for sc in SCENARIOS:
        r = bench(sc, args.sessions, args.rounds)
        ok &= r["close"] <= TARGET_CLOSE
        rows.append(f"| {sc} | {r['n']} | {r['close'] * 1000:.0f} | {r['close_max'] * 1000:.0f} "
                    f"| {r['submit'] * 1000:.1f} | {r['restart'] * 1000:.0f} |")
    table = "\n".join([
        "| scenario | rounds closed | close median ms | close max ms | submit median ms "
        f"| restart ({args.sessions} rooms) ms |",
        "|---|---:|---:|---:|---:|---:|", *rows])
    text = (f"CPU time, one process, {platform.machine()} {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}; {args.sessions} sessions x {args.rounds} rounds of 13 "
            "weeks, 3 participants each, the other roles on autopilot.\n\n" + table +
            f"\n\nTarget: close <= {TARGET_CLOSE:g} s: {'met' if ok else 'MISSED'}\n")
    print(text)
    if not args.no_readme:
        replace_section("## Room engine", (
            "## Room engine\n\n`.venv/bin/python benchmarks/bench_room_engine.py`: the "
            "training room's server-side work without a browser (closing a round with its "
            "counterfactual, checking a participant's moves, rebuilding rooms from the log on "
            "restart). " + text))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
