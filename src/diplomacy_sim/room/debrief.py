"""The debrief (Kolb: what happened, why, what would you do differently), from the log's facts.

Everything here is read from the session's timeline (moves, shocks, the model's events) and
its outcome rows beside the counterfactual's; the sentences name only what is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim.domain.events import week_number

if TYPE_CHECKING:
    from diplomacy_sim.room.room import Room

GAP_OUTCOMES: dict[str, str] = {
    "integration": "Integration",
    "trust": "Trust",
    "engagement": "Engagement at the table",
    "user_outcome": "The outcome for service users",
    "strain": "Leaders' strain",
}
LEVEL = 0.005
"""Differences smaller than this are reported as level with the autopilot."""


def round_of(room: Room, week: int) -> int:
    return int(week) // room.weeks_per_round + 1


def rounds_played(room: Room) -> int:
    """Rounds whose weeks were run (closed): a round opened and never closed (the session
    ended while it was open) was not played."""
    return len(room.timeline)


def last_week_played(room: Room) -> int | None:
    """The last week run, as people read it (1-based); None before the first round."""
    return week_number(room.timeline[-1]["end_week"] - 1) if room.timeline else None


_ENDED = re.compile(r"[.!?…][\"'”’)\]]*$")


def sentence(text: str) -> str:
    """``text`` ending with its punctuation exactly once (a full stop added if it has none)."""
    t = str(text).rstrip()
    return t if not t or _ENDED.search(t) else t + "."


def sentences(*parts: str) -> str:
    """The parts as one run of sentences, each ending with its punctuation exactly once."""
    return " ".join(sentence(p) for p in parts if str(p).strip())


def gap_figures(s: float, c: float) -> tuple[str, str, str]:
    """(session, autopilot, difference) as printed: the fewest decimals (2 to 4) at which the
    two values read differently and the difference, rounded alike, is the difference of the
    printed values. When no such number of decimals exists, the difference printed is that of
    the printed values (at the fewest decimals at which the values read differently), so a
    reader who subtracts gets the number printed."""
    first: tuple[str, str, str] | None = None
    for n in (2, 3, 4):
        ps, pc = f"{s:.{n}f}", f"{c:.{n}f}"
        if ps == pc:
            continue
        shown = f"{abs(Decimal(ps) - Decimal(pc)):.{n}f}"
        if f"{abs(s - c):.{n}f}" == shown:
            return ps, pc, shown
        first = first or (ps, pc, shown)
    if first is None:  # the same to 4 decimals (only for differences below LEVEL)
        ps, pc = f"{s:.4f}", f"{c:.4f}"
        return ps, pc, f"{abs(Decimal(ps) - Decimal(pc)):.4f}"
    return first


def outcome_gap(rows: Sequence[Mapping[str, float]], cf_rows: Sequence[Mapping[str, float]]
                ) -> list[dict[str, Any]]:
    if not rows or not cf_rows:
        return []
    out = []
    for k, label in GAP_OUTCOMES.items():
        s, c = float(rows[-1][k]), float(cf_rows[-1][k])
        d = s - c
        if abs(d) < LEVEL:
            text = f"{label} ended level with the autopilot ({s:.2f})"
        else:
            ps, pc, pd = gap_figures(s, c)
            text = (f"{label} ended {pd} {'above' if d > 0 else 'below'} the autopilot "
                    f"({ps} against {pc})")
        out.append({"outcome": k, "session": s, "autopilot": c, "difference": d, "text": text})
    return out


def _org_story(room: Room, events: Sequence[Mapping[str, Any]], org_id: str
               ) -> list[tuple[str, int, Mapping[str, Any]]]:
    return [(e["kind"], round_of(room, e["step"]), e) for e in events
            if e["kind"] in ("went_cold", "came_back") and org_id in e["actors"]]


def _related(room: Room, move: Mapping[str, Any], org: int) -> bool:
    """Whether a participant's move touched organisation ``org``."""
    mv = move["move"] or {}
    st = room.model.state
    if mv.get("kind") == "court":
        return bool(mv.get("org") == st.orgs.ids[org])
    if "initiative" in mv and mv["initiative"] in st.initiatives.ids:
        return bool(st.initiatives.parties[st.initiatives.ids.index(mv["initiative"]), org])
    if mv.get("kind") == "meet":
        return int(st.people.org[int(mv["person_b"])]) == org
    return False


def _after_clause(room: Room, moves: Sequence[Mapping[str, Any]], org: int, lo: int, hi: int
                  ) -> str:
    """ " after NAME (ROLE) MOVE in round R": the latest participant's move between going cold
    and coming back that touched the organisation (a partner's move first, else its own)."""
    oid = room.model.state.orgs.ids[org]
    cands = [m for m in moves if m["by"] == "participant" and m["ok"] and lo <= m["round"] <= hi
             and _related(room, m, org)]
    others = [m for m in cands if m["role"].split(".")[0] != oid]
    pick = (others or cands)[-1:]
    if not pick:
        return ""
    return f" after {pick[0]['text'].rstrip('.')} in round {pick[0]['round']}"


def gap_sentences(room: Room) -> list[str]:
    """The gap between the session and the autopilot, in words, from the log's facts."""
    rows, cf = room.model.rows, room.cf.rows
    out = [g["text"] + "." for g in outcome_gap(rows, cf)]
    if not out:
        return ["No round has been played yet."]
    events = [e for rec in room.timeline for e in rec["events"]]
    cf_events = [e for rec in room.timeline for e in rec["cf_events"]]
    moves = [m for rec in room.timeline for m in rec["moves"]]
    o = room.model.state.orgs
    stories = []
    for j, oid in enumerate(o.ids):
        mine = _org_story(room, events, oid)
        cf_cold = [r for kind, r, _ in _org_story(room, cf_events, oid) if kind == "went_cold"]
        cold = [r for kind, r, _ in mine if kind == "went_cold"]
        if cf_cold:
            times = f"{len(cf_cold)} times, first" if len(cf_cold) > 1 else "once,"
            cf_text = f" (with the autopilot it went cold {times} in round {cf_cold[0]})"
        else:
            cf_text = " (with the autopilot it never went cold)"
        if not cold:
            if cf_cold:
                stories.append(f"{o.names[j]} stayed at the table{cf_text}.")
            continue
        last_cold = max(i for i, x in enumerate(mine) if x[0] == "went_cold")
        back = next((x for x in mine[last_cold + 1:] if x[0] == "came_back"), None)
        if len(cold) == 1:
            text = f"{o.names[j]} went cold in round {cold[0]}"
        else:
            text = f"{o.names[j]} went cold {len(cold)} times, first in round {cold[0]},"
        if back is None:
            text += " and had not come back by the end"
        else:
            text += (f" and came back{' for good' if len(cold) > 1 else ''} in round {back[1]}"
                     + _after_clause(room, moves, j, mine[last_cold][1], back[1]))
        stories.append(text + cf_text + ".")
    out += stories
    ini = room.model.state.initiatives
    for name in ini.names:
        said = f"{name} is now live."  # the model's event for it
        live = [round_of(room, e["step"]) for e in events if e["kind"] == "live"
                and e["text"] == said]
        cf_live = [round_of(room, e["step"]) for e in cf_events if e["kind"] == "live"
                   and e["text"] == said]
        if live or cf_live:
            a = f"went live in round {live[0]}" if live else "was not live by the end"
            b = f"in round {cf_live[0]}" if cf_live else "not by the end"
            out.append(f"{name} {a}; with the autopilot, {b}.")
    return out


def decision_logs(room: Room) -> dict[str, dict[str, Any]]:
    """Each role's rounds: who played it, what they did (or the autopilot), what happened."""
    out: dict[str, dict[str, Any]] = {}
    for r in room._roles:
        entries = []
        everyone: list[str] = []
        for rec in room.timeline:
            mine = [m for m in rec["moves"] if m["role"] == r.id]
            by = mine[0]["by"] if mine else "autopilot"
            # who acted for the role this round, in the order they did: a role handed on
            # mid-round was played by both (the one who left, or was removed, included)
            acted = [str(room.participants[pid].name) for pid, rd, role in room.balcony_log
                     if role == r.id and rd == rec["round"]]
            acted += [str(msg["name"]) for msg in room.messages
                      if msg["from"] == r.id and msg["round"] == rec["round"]]
            acted += [str(m["name"]) for m in mine if m["name"]]
            names = list(dict.fromkeys(acted))
            everyone += [n for n in names if n not in everyone]
            entries.append({
                "round": rec["round"], "by": by, "name": ", ".join(names) or None,
                "people": names,
                "moves": [{"text": m["text"], "ok": m["ok"], "reason": m.get("reason"),
                           "kind": (m["move"] or {}).get("kind"), "cost": m.get("cost", 0)}
                          for m in mine if m["move"]],
                "balcony": any(role == r.id and rd == rec["round"]
                               for _, rd, role in room.balcony_log),
                "messages_sent": sum(1 for msg in room.messages
                                     if msg["from"] == r.id and msg["round"] == rec["round"]),
            })
        holder = room.holder.get(r.id)
        now = room.participants[holder].name if holder else None
        out[r.id] = {"role": r.button, "name": now, "rounds": entries,
                     "played_by": [*everyone, *([now] if now and now not in everyone else [])]}
    return out


def kolb(room: Room, gap: Sequence[str]) -> list[dict[str, Any]]:
    """The three questions, with prompts filled in from the log's facts."""
    events = [e for rec in room.timeline for e in rec["events"]]
    moves = [m for rec in room.timeline for m in rec["moves"] if m["by"] == "participant"]
    notable = [e for e in events if e["kind"] in ("went_cold", "came_back", "live", "abandoned")]
    what = list(gap[:2])
    what += [sentence(f"Round {round_of(room, e['step'])}: {e['text']}") for e in notable[:3]]
    # every shock that has landed (a step already run), in the weeks people read
    what += [f"Week {week_number(w)}: {label} hit the place." for w, label in room.shock_marks()
             if w < room.week]
    why = [sentences(f"Round {round_of(room, e['step'])}: {e['text']}",
                     f"The model's reason: {e['cause']}",
                     "What led to it, and who could have seen it coming?")
           for e in notable if e["kind"] in ("went_cold", "abandoned")][:3]
    why += [sentences(m["text"], "What did you know then that the others did not?")
            for m in moves if not m["ok"]][:2]
    seen = sorted({rd for _, rd, _ in room.balcony_log})
    if seen:
        why.append(f"Someone went to the balcony in round {seen[0]}: what did the whole-system "
                   "view show that the private views did not?")
    if not why:
        why.append("Which of the moves made in the session changed who stayed at the table?")
    differently = []
    cold = [e for e in events if e["kind"] == "went_cold"]
    if cold:
        r = round_of(room, cold[0]["step"])
        differently.append(f"Replay from round {r} (before {cold[0]['text'].split(' stopped')[0]} "
                           "went cold): what would you try instead?")
    gaps = outcome_gap(room.model.rows, room.cf.rows)
    integ = next((g for g in gaps if g["outcome"] == "integration"), None)
    if integ is not None and integ["difference"] < -LEVEL:
        differently.append("The autopilot did better on integration: which of its decisions "
                           "(see its events in the pack) would you copy?")
    elif integ is not None and integ["difference"] > LEVEL:
        differently.append("You did better than the autopilot on integration: which move made "
                           "the difference, and would it work in your own place?")
    differently += _points_prompts(room, moves)
    if not differently:
        differently.append("What would you do in the first round if you played again?")
    return [
        {"question": "What happened?", "prompts": what},
        {"question": "Why did it happen?", "prompts": why},
        {"question": "What would you do differently?", "prompts": differently},
    ]


def _points_prompts(room: Room, moves: Sequence[Mapping[str, Any]], most: int = 4
                    ) -> list[str]:
    """Where each participant's points went, counting only the moves that happened (the
    points of a refused move changed nothing), each kind named by the room's own label."""
    tried: dict[str, list[Mapping[str, Any]]] = {}
    for m in moves:
        if m["move"] and m["name"]:
            tried.setdefault(m["name"], []).append(m)
    out = []
    for name, mine in list(tried.items())[:most]:
        spent: dict[str, int] = {}
        for m in mine:
            if m["ok"]:
                k = m["move"]["kind"]
                spent[k] = spent.get(k, 0) + int(m.get("cost", 0))
        if not any(m["ok"] for m in mine):
            n = len(mine)
            out.append(f"{name}: {'your move' if n == 1 else f'none of your {n} moves'} did "
                       "not happen. What would you have needed to know, or whom to win over, "
                       "for it to work?")
            continue
        total = sum(spent.values())
        if total <= 0:  # moves that cost nothing: no points to speak of
            continue
        top = max(spent.values())
        tops = [room.registry[k].label for k, v in spent.items() if v == top]
        points = "your points" if all(m["ok"] for m in mine) else \
            "your points on moves that happened"
        if len(tops) > 1:
            where = (f"{points} went equally on " + ", ".join(f"“{t}”" for t in tops[:-1])
                     + f" and “{tops[-1]}”")
        else:
            where = f"{'all' if top == total else 'most'} of {points} went on “{tops[0]}”"
        out.append(f"{name}: {where}. What would another kind of move have changed?")
    return out


def timeline(room: Room) -> list[dict[str, Any]]:
    return [{
        "round": rec["round"], "start_week": rec["start_week"], "end_week": rec["end_week"],
        "moves": [{"role": m["role"], "by": m["by"], "name": m["name"], "text": m["text"],
                   "ok": m["ok"], "week": m["week"]} for m in rec["moves"]],
        "shocks": list(rec["shocks"]),
        "events": [e for e in rec["events"] if e["kind"] != "move"],
    } for rec in room.timeline]


def debrief_data(room: Room, viewer_role: str | None) -> dict[str, Any]:
    """The debrief: for the trainer (``viewer_role`` None) or a participant (messages: only
    their own)."""
    gap = gap_sentences(room)
    msgs = [m for m in room.messages if viewer_role is None or m["from"] == viewer_role
            or viewer_role in m["to"]]
    return {
        "code": room.code, "title": room.title, "scenario": room.scenario_name,
        "seed": room.seed, "autopilot": room.autopilot, "round": room.round,
        "rounds": room.rounds, "week": room.week, "weeks_per_round": room.weeks_per_round,
        "rounds_played": rounds_played(room), "last_week_played": last_week_played(room),
        "status": room.status,
        "parent": room.parent,
        "rows": [dict(r) for r in room.model.rows],
        "counterfactual_rows": [dict(r) for r in room.cf.rows],
        "shocks": room.shock_marks(),
        "timeline": timeline(room),
        "gap": gap,
        "outcomes": outcome_gap(room.model.rows, room.cf.rows),
        "decision_logs": decision_logs(room),
        "kolb": kolb(room, gap),
        "messages": msgs,
        "replay_mismatch": list(room.replay_mismatch),
    }


def series(rows: Sequence[Mapping[str, float]], key: str) -> np.ndarray:
    return np.array([r[key] for r in rows], dtype=float)
