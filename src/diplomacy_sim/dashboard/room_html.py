"""The training room's read-only parts as HTML strings: every value that comes from a room
(names, messages, labels, model text) is escaped here, so a name like ``<b>`` shows as the
text ``<b>``. Plain functions of plain dicts (the engine's views), tested without a browser."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from diplomacy_sim.dashboard import charts
from diplomacy_sim.dashboard.components import chart_grid_html, event_item_html
from diplomacy_sim.dashboard.glossary import GLOSSARY, term_html
from diplomacy_sim.dashboard.session import humanise
from diplomacy_sim.domain.events import week_number

SCREEN_OUTCOMES = ("integration", "trust", "user_outcome", "engagement")
"""The projector's charts: the outcomes a room talks about (four fit a 1280×720 wall)."""
SCREEN_TEXT_SCALE = 1.75
"""Chart lettering on the projector: 9-unit ticks become ~16 units, which at two charts
across a 1280 px wall is over 18 px."""
CONSOLE_OUTCOMES = ("integration", "trust", "pluralism", "engagement", "user_outcome", "strain",
                    "avoidance")


def e(x: Any) -> str:
    return escape(str(x))


def series_to_rows(series: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """{outcome: [week 1, week 2, ...]} to the rows the charts draw ([{step, outcome...}])."""
    if not series:
        return []
    n = min(len(v) for v in series.values())
    return [{"step": i, **{k: float(v[i]) for k, v in series.items()}} for i in range(n)]


def shock_marks(shocks: Sequence[Any]) -> list[tuple[int, str]]:
    """[(week, label)] from the engine's shock list (dicts with week/label or pairs)."""
    out = []
    for s in shocks:
        if isinstance(s, Mapping):
            out.append((int(s["week"]), str(s.get("label", s.get("kind", "shock")))))
        else:
            out.append((int(s[0]), str(s[1])))
    return out


def qr_img_html(url: str, px: int = 180) -> str:
    """A QR code of ``url`` drawn offline (segno), as an image of encoded data: the URL is
    encoded in the picture's modules, never written into the page as markup."""
    import segno

    svg = io.BytesIO()
    segno.make(url, error="m").save(svg, kind="svg", scale=4, border=2, dark="#000",
                                    light="#fff", xmldecl=False)
    data = base64.b64encode(svg.getvalue()).decode()
    return (f'<img class="join-qr" alt="QR code of the join address" width="{px}" '
            f'height="{px}" src="data:image/svg+xml;base64,{data}">')


# --------------------------------------------------------------------------- private view
def _bar(label: str, w: float, colour: str, term: bool = False) -> str:
    """A labelled bar; with ``term``, the label is its glossary tooltip link."""
    name = (term_html(label, GLOSSARY[label].name.removeprefix("Belief: "))
            if term and label in GLOSSARY else e(humanise(label)))
    return (f'<div style="display:flex;align-items:center;font-size:14px">'
            f'<span style="width:230px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis">'
            f'{name}'
            f'</span><span style="display:inline-block;height:9px;width:{100 * max(min(w, 1), 0):.0f}px;'
            f'background:{colour};opacity:.75"></span><span style="margin-left:6px">{w:.2f}</span>'
            "</div>")


def organisation_html(org: Mapping[str, Any]) -> str:
    """The participant's organisation: agenda, budget, targets, live initiatives."""
    agenda = sorted(dict(org.get("agenda", {})).items(), key=lambda kv: -kv[1])
    bars = "".join(_bar(k, float(w), "#1565c0") for k, w in agenda[:6])
    target = org.get("target")
    tgt = (f"<li>the national target on {e(target)} "
           f"(pressure {float(org.get('pressure', 0)):.2f})</li>" if target else "")
    inits = org.get("initiatives") or []
    ini = "".join(
        f'<li>{e(i.get("name", i.get("id")))} — {e(humanise(str(i.get("stage", ""))))}'
        f'{", progress " + format(float(i["progress"]), ".2f") if "progress" in i else ""}</li>'
        for i in inits) or "<li>none yet</li>"
    budget = org.get("budget")
    free = org.get("discretionary", org.get("discretionary_budget"))
    money = (f'Budget £{float(budget):,.1f}m a year' if budget is not None else "")
    if free is not None:
        money += f' (free for joint work £{float(free):,.1f}m)'
    status = ("abolished" if not org.get("alive", True) else
              "at the table" if org.get("at_the_table", True) else
              "gone cold (not attending the board)")
    return (f'<div class="org-card" style="border-left:6px solid #1565c0;padding:8px 12px;'
            f'background:#f5f9ff;border-radius:4px">'
            f'<div style="font-weight:600;font-size:18px">{e(org.get("name", ""))}</div>'
            f'<div style="font-size:14px;color:#455a64">{e(status)}</div>'
            f'<div style="font-size:14px">{e(money)}</div>'
            f'<div style="font-size:14px;margin-top:6px;font-weight:600">Agenda</div>{bars}'
            + (f'<div style="font-size:14px;margin-top:6px;font-weight:600">Targets</div>'
               f'<ul style="font-size:14px;margin:0">{tgt}</ul>' if tgt else "")
            + f'<div style="font-size:14px;margin-top:6px;font-weight:600">Live initiatives</div>'
            f'<ul style="font-size:14px;margin:0">{ini}</ul></div>')


def person_html(person: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The participant's own person: ties, beliefs, anxiety, strain, signals."""
    names = names or {}
    beliefs = "".join(_bar(k, float(v), "#6a1b9a", term=True)
                      for k, v in dict(person.get("beliefs", {})).items())
    ties = sorted(person.get("ties", []), key=lambda t: -float(t.get("trust", 0)))
    tie_rows = "".join(
        f'<tr><td>{e(humanise(str(t.get("role", ""))))}</td>'
        f'<td>{e(names.get(str(t.get("organisation")), t.get("organisation", "")))}</td>'
        f'<td>{float(t.get("trust", 0)):.2f}</td><td>{e(humanise(str(t.get("channel", ""))))}</td></tr>'
        for t in ties[:12])
    more = f'<div style="font-size:13px;color:#607d8b">and {len(ties) - 12} more</div>' \
        if len(ties) > 12 else ""
    signals = dict(person.get("signals", {}))
    sig = " · ".join(f"{e(humanise(k))} {float(v):.2f}" for k, v in signals.items())
    return (f'<div class="person-card" style="border-left:6px solid #6a1b9a;padding:8px 12px;'
            f'background:#f8f1fb;border-radius:4px">'
            f'<div style="font-weight:600;font-size:18px">You</div>'
            f'<div style="font-size:15px">{term_html("anxiety")} '
            f'<b>{float(person.get("anxiety", 0)):.2f}</b> · {term_html("strain", "strain")} '
            f'<b>{float(person.get("strain", 0)):.2f}</b></div>'
            f'<div style="font-size:14px;margin-top:6px;font-weight:600">Beliefs</div>{beliefs}'
            + (f'<div style="font-size:14px;margin-top:6px;font-weight:600">What you sense of the '
               f'place (noisy)</div><div style="font-size:14px">{sig}</div>' if sig else "")
            + f'<div style="font-size:14px;margin-top:6px;font-weight:600">Your ties '
            f'({len(ties)})</div><table class="ties" style="font-size:14px;border-collapse:separate;'
            'border-spacing:12px 1px;margin-left:-12px">'
            f'<tr style="color:#607d8b"><td>Role</td><td>Organisation</td><td>Trust</td>'
            f'<td>Channel</td></tr>{tie_rows}</table>{more}</div>')


def messages_html(messages: Sequence[Mapping[str, Any]], font_px: int = 15) -> str:
    """Messages to and from this participant, as text."""
    if not messages:
        return f'<div style="font-size:{font_px}px;color:#78909c">No messages yet.</div>'
    items = "".join(
        f'<li class="message" style="font-size:{font_px}px;margin-bottom:4px">'
        f'<span style="color:#546e7a">{e(m.get("from_label", m.get("from", "")))}'
        f' → {e(m.get("to_label", ", ".join(map(str, m.get("to", [])))))}'
        f'{" · round " + e(m["round"]) if "round" in m else ""}:</span> '
        f'{e(m.get("text", ""))}</li>' for m in messages[-30:])
    return f'<ul class="messages" style="padding-left:18px">{items}</ul>'


def heard_html(events: Sequence[Mapping[str, Any]], since_step: int, font_px: int = 14) -> str:
    """What this person heard this round (events since ``since_step``), newest first."""
    now = [ev for ev in events if int(ev.get("step", -1)) >= since_step][::-1][:20]
    if not now:
        return (f'<div style="font-size:{font_px}px;color:#78909c">Nothing reached you this '
                "round yet.</div>")
    return ('<ul class="heard" style="padding-left:18px">'
            + "".join(event_item_html(ev, font_px, room_tag(ev)) for ev in now) + "</ul>")


def room_tag(ev: Mapping[str, Any]) -> str:
    """In a room, a move is a player's (its text names who); a shock is the trainer's."""
    return "" if ev.get("kind") == "move" else "[injected by the trainer]"


# --------------------------------------------------------------------------- screens
ROOM_LINES = ("this session", "the autopilot in every role")
"""The legends of a room's charts: the session's line and the grey one, the same place,
seed and shocks with the autopilot playing every role (not the explorer's run without its
injected shocks)."""


SCREEN_STATUS = {"lobby": "participants are joining", "open": "round open: moves being chosen",
                 "closed": "round closed", "paused": "paused", "ended": "session ended"}
"""What the projector says of the session's state, under the round and week."""


def screen_html(view: Mapping[str, Any], title: str) -> str:
    """The projector: round and week, the key charts (counterfactual grey, shocks red),
    what happened this round; nothing below 18 px at 1280×720 (charts scale with width)."""
    rows = series_to_rows(view.get("series", {}))
    base = series_to_rows(view.get("counterfactual", {})) or None
    marks = shock_marks(view.get("shocks", []))
    horizon = int(view.get("horizon") or max(len(rows), 26))
    names = [k for k in SCREEN_OUTCOMES if rows and k in rows[0]]
    svgs = [charts.line_chart(k, rows, base, horizon, marks, text_scale=SCREEN_TEXT_SCALE,
                              labels=ROOM_LINES) for k in names]
    grid = chart_grid_html(svgs, int(view.get("week", 0)), len(marks), min_width=360)
    story = "".join(f'<li style="margin-bottom:6px">{e(s)}</li>'
                    for s in view.get("narrative", [])[:6])
    story = story or '<li style="color:#78909c">The first round has not been played yet.</li>'
    shocks = "".join(f'<li><span style="color:#c62828">■</span> week {week_number(w)}: {e(t)}</li>'
                     for w, t in marks[-4:])
    return (f'<div class="screen" data-week="{int(view.get("week", 0))}" style="font-size:22px;'
            'padding:8px 18px;font-family:Roboto,Arial,sans-serif">'
            '<div style="display:flex;justify-content:space-between;align-items:baseline;'
            'gap:6px 24px;flex-wrap:wrap">'
            f'<div style="font-size:28px;font-weight:600">{e(title)}'
            + (f' <span class="screen-code" style="font-weight:400;color:#455a64">· join at '
               f'{e(str(view.get("join_url") or "/join"))} with code <b>{e(view["code"])}</b>'
               "</span>" if view.get("code")
               and view.get("status") != "ended" else "")
            + "</div>"
            f'<div class="round-week" style="font-size:30px;font-weight:700">'
            f'{e(view.get("round_text", ""))} · Week {int(view.get("week", 0))}'
            + (f'<div class="screen-status" style="font-size:20px;font-weight:400;'
               f'color:#455a64;text-align:right">{e(SCREEN_STATUS[str(view["status"])])}</div>'
               if str(view.get("status")) in SCREEN_STATUS else "")
            + "</div></div>"
            '<div style="display:grid;grid-template-columns:minmax(0,2.2fr) minmax(0,1fr);'
            f'gap:18px;align-items:start"><div>{grid}<div style="font-size:18px;color:#455a64">'
            'Blue: this session. Grey: the autopilot playing every role (same place, seed '
            'and shocks). Red: shocks.</div></div>'
            '<div><div style="font-size:24px;font-weight:600">This round</div>'
            f'<ul class="story" style="padding-left:22px;font-size:22px;line-height:1.3">{story}</ul>'
            + (f'<div style="font-size:20px;font-weight:600">Shocks</div><ul style="font-size:20px;'
               f'padding-left:22px">{shocks}</ul>' if shocks else "")
            + "</div></div></div>")


def outcome_panel_html(rows: Sequence[dict[str, float]], base: Sequence[dict[str, float]] | None,
                       marks: Sequence[tuple[int, str]], horizon: int, week: int,
                       names: Sequence[str] = CONSOLE_OUTCOMES,
                       others: Sequence[tuple[Sequence[dict[str, float]], str]] = (),
                       note: str = "") -> str:
    """Outcome charts for the console and the debrief (``others``: earlier branches)."""
    if not rows:
        return ('<div class="charts" data-week="0" data-shocks="0" style="font-size:15px;'
                'color:#78909c">The charts start when the first round closes.</div>')
    names = [k for k in names if k in rows[0]]
    svgs = [charts.line_chart(k, rows, base, horizon, marks, others=others, labels=ROOM_LINES)
            for k in names]
    return chart_grid_html(svgs, week, len(marks), note)
