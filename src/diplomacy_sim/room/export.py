"""The debrief pack: one self-contained HTML file (charts as inline SVG, prints on A4, no
scripts, every user-supplied text escaped) and CSV files of the moves, events and outcomes.

Written by ``diplomacy-sim room export CODE --out DIR`` and by the debrief page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplomacy_sim.domain.events import week_number
from diplomacy_sim.room.debrief import GAP_OUTCOMES, debrief_data, round_of
from diplomacy_sim.room.errors import PermissionDenied

if TYPE_CHECKING:
    from diplomacy_sim.room.room import Room

PACK_FILES = ("debrief.html", "moves.csv", "events.csv", "outcomes.csv")
PACK_MARKERS = ("debrief.html",)
"""The file every pack holds (a folder of CSVs alone is not a pack)."""
CHART_W, CHART_H, PAD = 640, 170, 34


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def svg_chart(title: str, lines: Sequence[tuple[str, Sequence[float], str, str]],
              marks: Sequence[tuple[int, str]], rounds: Sequence[int]) -> str:
    """A line chart as inline SVG: ``lines`` are (name, values, colour, dash)."""
    n = max((len(v) for _, v, _, _ in lines), default=0)
    w, h = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def sx(i: float) -> float:
        return PAD + w * i / max(n - 1, 1)

    def sy(v: float) -> float:
        return PAD + h * (1.0 - min(max(v, 0.0), 1.0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
             f'role="img" aria-label="{_e(title)}">',
             f'<text x="{PAD}" y="18" font-size="14" font-weight="bold">{_e(title)}</text>',
             f'<rect x="{PAD}" y="{PAD}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>']
    for y in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{PAD - 6}" y="{sy(y) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{y:g}</text>')
    prev = 0
    for r, wk in enumerate(rounds, start=1):
        if 0 < wk < n:
            parts.append(f'<line x1="{sx(wk):.1f}" x2="{sx(wk):.1f}" y1="{PAD}" y2="{PAD + h}" '
                         'stroke="#eee"/>')
        mid = (prev + min(wk, max(n - 1, 1))) / 2
        parts.append(f'<text x="{sx(mid):.1f}" y="{PAD + h + 12}" font-size="10" '
                     f'text-anchor="middle" fill="#666">R{r}</text>')
        prev = wk
    for wk, label in marks:
        if 0 <= wk < max(n, 1):
            parts.append(f'<line x1="{sx(wk):.1f}" x2="{sx(wk):.1f}" y1="{PAD}" y2="{PAD + h}" '
                         'stroke="#c0392b" stroke-dasharray="3,3"/>'
                         f'<text x="{sx(wk) + 3:.1f}" y="{PAD + 10}" font-size="10" '
                         f'fill="#c0392b">{_e(label)}</text>')
    for name, values, colour, dash in lines:
        if len(values):
            pts = " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in enumerate(values))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                         f'stroke-width="2" stroke-dasharray="{dash}"><title>{_e(name)}</title>'
                         '</polyline>')
    x = PAD
    for name, _, colour, dash in lines:
        parts.append(f'<line x1="{x}" x2="{x + 18}" y1="{CHART_H - 10}" y2="{CHART_H - 10}" '
                     f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
                     f'<text x="{x + 22}" y="{CHART_H - 6}" font-size="11">{_e(name)}</text>')
        x += 30 + 7 * len(name)
    span = f"rounds (R) of weeks {week_number(0)}–{week_number(n - 1)}" if n else \
        "no week played yet"
    parts.append(f'<text x="{PAD + w}" y="{CHART_H - 6}" font-size="10" text-anchor="end">'
                 f'{span}</text></svg>')
    return "".join(parts)


CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: system-ui, sans-serif; font-size: 11pt; color: #222; max-width: 180mm;
       margin: 0 auto; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; margin-top: 1.4em; page-break-after: avoid; }
svg { width: 100%; height: auto; page-break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 5px; text-align: left; vertical-align: top; }
tr { page-break-inside: avoid; }
.failed { color: #a00; } .muted { color: #666; }
@media print { a { color: inherit; text-decoration: none; } }
"""


def _weeks(rec: Mapping[str, Any]) -> str:
    """ "weeks A–B" of a round's record (its ``start_week``/``end_week`` are model steps, the
    end exclusive), as people read weeks."""
    first, last = week_number(rec["start_week"]), week_number(int(rec["end_week"]) - 1)
    if last < first:
        return "no week run"
    return f"week {first}" if last == first else f"weeks {first}–{last}"


def _played(d: Mapping[str, Any]) -> str:
    """ "N of M rounds of W weeks played (weeks 1–L)": only the rounds whose weeks were run;
    a round opened and not closed is said apart."""
    n, of, wpr = d["rounds_played"], d["rounds"], d["weeks_per_round"]
    text = (f"{n} of {of} round{'s' if of != 1 else ''} of {wpr} week{'s' if wpr != 1 else ''}"
            " played")
    if d["last_week_played"] is not None:
        text += f" (weeks {week_number(0)}–{d['last_week_played']})"
    if d["round"] > n:
        text += (f"; the session was ended while round {d['round']} was open, and that "
                 "round was not played" if d["status"] == "ended"
                 else f"; round {d['round']} is under way")
    return text


def pack_html(room: Room, key: str | None = None, *, trusted: bool = False,
              lineage: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The debrief pack as one HTML string. Needs the facilitator key (or ``trusted``: the
    command line, which already holds the database). A replayed session is charted with
    the sessions it branched from (``lineage``, by default the registry's)."""
    if not trusted and not room.check_key(key):
        raise PermissionDenied("Only the trainer can export the debrief pack.")
    if lineage is None:
        lineage = room.lineage()
    with room.lock:
        d = debrief_data(room, viewer_role=None)
    # the rounds played (closed), where their weeks end: a round opened but never closed
    # (the session ended while it was open) ran no week and is not charted
    bounds = [int(rec["end_week"]) for rec in d["timeline"]]
    marks = [(int(w), str(lbl)) for w, lbl in d["shocks"]]
    charts = []
    for k, label in GAP_OUTCOMES.items():
        lines = [("this session", [r[k] for r in d["rows"]], "#1f4e79", ""),
                 ("autopilot", [r[k] for r in d["counterfactual_rows"]], "#888", "6,4")]
        for other in lineage:
            if other["code"] != room.code:
                lines.append((f"session {other['code']}", [r[k] for r in other["rows"]],
                              "#e08e0b", "2,3"))
        charts.append(svg_chart(label, lines, marks, bounds))
    h: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>Debrief: {_e(d['title'])} ({_e(d['code'])})</title><style>{CSS}</style>"
        "</head><body>",
        f"<h1>Debrief: {_e(d['title'])}</h1>",
        f"<p class='muted'>Session {_e(d['code'])}; seed {_e(d['seed'])}; autopilot "
        f"doctrine {_e(d['autopilot'])}; {_e(_played(d))}"
        + (f"; replayed from round {_e(d['parent'][1])} of session {_e(d['parent'][0])}"
           if d["parent"] else "") + ".</p>",
        "<h2>The gap to the autopilot</h2><ul>",
        *[f"<li>{_e(s)}</li>" for s in d["gap"]], "</ul>",
        "<h2>Outcomes beside the autopilot</h2>", *charts,
        "<h2>Timeline of rounds</h2>",
        f"<p class='muted'>Roles nobody played followed the autopilot (the {_e(d['autopilot'])} "
        "doctrine), as did participants who submitted nothing unless the trainer chose that "
        "they stay idle. The autopilot's own decisions appear among the events.</p>",
    ]
    for rec in d["timeline"]:
        h.append(f"<h3>Round {_e(rec['round'])} ({_e(_weeks(rec))})</h3><ul>")
        for s in rec["shocks"]:
            h.append(f"<li><b>Shock:</b> {_e(s['label'])} (week {week_number(s['week'])})</li>")
        for m in rec["moves"]:
            cls = "" if m["ok"] else " class='failed'"
            h.append(f"<li{cls}>{_e(m['text'])}</li>")
        for e in rec["events"]:
            if e["kind"] in ("went_cold", "came_back", "live", "abandoned", "agreed",
                             "broken_promise", "slipped", "leadership_turnover") or e["injected"]:
                h.append(f"<li class='muted'>Week {week_number(e['step'])}: {_e(e['text'])} "
                         f"{_e(e['cause'])}</li>")
        h.append("</ul>")
    h.append("<h2>Decision logs</h2>")
    for log in d["decision_logs"].values():
        played = [r for r in log["rounds"] if r["by"] != "autopilot" or r["moves"] or r["name"]]
        people = ", ".join(log.get("played_by") or ([log["name"]] if log["name"] else []))
        if not people and not any(r["by"] == "participant" for r in log["rounds"]):
            continue
        h.append(f"<h3>{_e(log['role'])}" + (f": {_e(people)}" if people else "")
                 + "</h3><table><tr><th>Round</th><th>Played by</th><th>Moves</th>"
                 "<th>Balcony</th><th>Messages</th></tr>")
        for r in played:
            mv = "<br>".join(("" if x["ok"] else "✗ ") + _e(x["text"]) for x in r["moves"]) \
                or "no moves"
            h.append(f"<tr><td>{_e(r['round'])}</td><td>{_e(r.get('name') or r['by'])}</td>"
                     f"<td>{mv}</td>"
                     f"<td>{'yes' if r['balcony'] else ''}</td><td>{_e(r['messages_sent'])}</td>"
                     "</tr>")
        h.append("</table>")
    h.append("<h2>Questions for the debrief</h2>")
    for q in d["kolb"]:
        h.append(f"<h3>{_e(q['question'])}</h3><ul>"
                 + "".join(f"<li>{_e(p)}</li>" for p in q["prompts"]) + "</ul>")
    h.append("</body></html>")
    return "\n".join(h)


def _cell(x: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    s = x if isinstance(x, str) else json.dumps(x) if isinstance(x, dict | list) else str(x)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(x) for x in r])
    return buf.getvalue()


def moves_csv(room: Room) -> str:
    rows = []
    labels = {r.id: r.button for r in room._roles}
    for rec in room.timeline:
        for m in rec["moves"]:
            mv = dict(m["move"] or {})
            kind = mv.pop("kind", "none")
            rows.append([rec["round"], week_number(m["week"]), m["role"], labels[m["role"]],
                         m["name"] or "", m["by"], kind, mv, m.get("cost", 0),
                         "yes" if m["ok"] else "no", m.get("reason") or "", m["text"]])
    return _csv(["round", "week", "role", "role_label", "participant", "by", "move",
                 "arguments", "cost", "happened", "reason", "text"], rows)


def events_csv(room: Room) -> str:
    rows = []
    for rec in room.timeline:
        for run, evs in (("session", rec["events"]), ("autopilot", rec["cf_events"])):
            for e in evs:
                rows.append([run, round_of(room, e["step"]), week_number(e["step"]), e["kind"],
                             e["text"], e["cause"], " ".join(e["actors"]), e["injected"]])
    return _csv(["run", "round", "week", "kind", "text", "cause", "actors", "injected"], rows)


def outcomes_csv(room: Room) -> str:
    keys = [k for k in room.model.rows[0] if k != "step"] if room.model.rows else []
    rows = [[week_number(int(a["step"])), *[a[k] for k in keys], *[b[k] for k in keys]]
            for a, b in zip(room.model.rows, room.cf.rows, strict=True)]
    return _csv(["week", *keys, *[f"autopilot_{k}" for k in keys]], rows)


def export_pack(room: Room, out_dir: str | Path, key: str | None = None, *,
                trusted: bool = False, lineage: Sequence[Mapping[str, Any]] | None = None
                ) -> list[Path]:
    """Write the pack into ``out_dir``: the four :data:`PACK_FILES`, swapped in together
    (:func:`~diplomacy_sim.atomic.replace_folder`: a reader sees the earlier pack or the
    new one, never a mixture). A folder holding anything else is refused
    (``FileExistsError``), never overwritten."""
    from diplomacy_sim.atomic import replace_folder

    html = pack_html(room, key, trusted=trusted, lineage=lineage)
    with room.lock:
        texts = {"debrief.html": html, "moves.csv": moves_csv(room),
                 "events.csv": events_csv(room), "outcomes.csv": outcomes_csv(room)}
    out = replace_folder(Path(out_dir), [
        (name, lambda p, t=texts[name]: p.write_text(t, encoding="utf-8"))
        for name in PACK_FILES], allowed=PACK_FILES, what="a debrief pack",
        markers=PACK_MARKERS)
    return [out / name for name in PACK_FILES]
