"""Light drawing: inline SVG for the page (built in well under a millisecond per chart, no
front-end library to serve), and a PNG drawn with Pillow when a trainer downloads the
charts (a whole run in about a tenth of a second)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

import numpy as np

from diplomacy_sim.domain.events import week_number
from diplomacy_sim.domain.state import ROLE_INDEX

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#bcbd22", "#7f7f7f")
RUN_COLOUR = "#1565c0"
BASELINE_COLOUR = "#9e9e9e"
SHOCK_COLOUR = "#c62828"
ROLE_RADIUS = {"executive": 7.0, "councillor": 6.0, "enabler": 5.5, "manager": 4.5,
               "frontline": 3.0}
TITLES = {
    "integration": "Integration", "trust": "Trust", "pluralism": "Pluralism",
    "engagement": "Engagement", "user_outcome": "User outcome", "strain": "Strain",
    "avoidance": "Avoidance", "avoidable_admissions": "Avoidable admissions",
    "delayed_discharges": "Delayed discharges",
}


COUNT_OUTCOMES: tuple[str, ...] = ("avoidable_admissions", "delayed_discharges")
"""Outcomes that are counts of people (their own y scale), not shares on 0..1."""
UNITS = {
    "integration": "share of joint work (0–1)", "trust": "trust (0–1)",
    "pluralism": "diversity of agendas (0–1)", "engagement": "share of organisations (0–1)",
    "user_outcome": "share of need met (0–1)", "strain": "leaders' strain (0–1)",
    "avoidance": "share of meetings (0–1)", "avoidable_admissions": "people per week",
    "delayed_discharges": "people waiting",
}
"""The y axis of each chart, in words (the glossary's units, shortened to fit)."""
MARK_COLOUR = "#ef6c00"
"""The week marked by clicking an event."""


def _polyline(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``x`` (a count axis's top; 1 for 0)."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    k = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * k >= x * (1 - 1e-12):
            return float(m * k)
    return float(10 * k)  # pragma: no cover - the loop ends at 10


def shock_label(shock: Any, org_names: Any = None) -> str:
    """A shock in words: its kind and the organisations (or issue) it hit, e.g.
    "Budget cut: Northgate Hospital, City Council". ``org_names`` maps ids to names."""
    names = org_names or {}
    kind = str(shock.get("kind", "shock")).replace("_", " ").capitalize()
    targets = list(shock.get("organisations") or [])
    if shock.get("organisation"):
        targets.append(shock["organisation"])
    who = ", ".join(str(names.get(t, t)) for t in targets)
    if shock.get("mode"):
        kind = f"{kind} ({shock['mode']})"
    if shock.get("into"):
        who += f" into {names.get(shock['into'], shock['into'])}"
    if shock.get("label"):
        return f"{shock['label']}: {who}" if who else str(shock["label"])
    return f"{kind}: {who}" if who else kind


def stack_marks(xs: Sequence[float], widths: Sequence[float], gap: float = 4.0,
                lanes: int = 3) -> list[int]:
    """The lane (0 = top row) of each mark's label so that labels in one lane do not
    overlap: each label (x to x + width) goes in the first lane free at its x, in order of
    x; when every lane is taken it goes where its overlap is least (the lane freed first)."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ends = [-np.inf] * max(lanes, 1)
    out = [0] * len(xs)
    for i in order:
        free = [k for k, e in enumerate(ends) if e + gap <= xs[i]]
        k = free[0] if free else int(np.argmin(ends))
        out[i] = k
        ends[k] = xs[i] + widths[i]
    return out


def text_width(text: str, font: float) -> float:
    """A label's width in SVG units (average glyph of a sans font: 0.55 em)."""
    return 0.55 * font * len(text)


class PolylineCache:
    """The SVG points of growing series, kept between Steps so that a Step formats only the
    new week's points (rows are append-only while a model runs; clear on Reset)."""

    def __init__(self) -> None:
        self._d: dict[Any, tuple[Any, list[str], float, float]] = {}

    def clear(self) -> None:
        self._d.clear()

    def points(self, key: Any, rows: Sequence[dict[str, float]], name: str, span: Any,
               sx: Any, sy: Any) -> tuple[str, float, float]:
        """(points, last x, last y) of ``rows[name]`` for the chart geometry ``span`` (any
        value that changes when the axes do)."""
        got = self._d.get((key, name))
        if got is None or got[0] != span or len(got[1]) > len(rows):
            parts: list[str] = []
            x = y = 0.0
        else:
            _, parts, x, y = got
        for r in rows[len(parts):]:
            x, y = sx(r["step"] + 1), sy(r[name])
            parts.append(f"{x:.1f},{y:.1f}")
        self._d[(key, name)] = (span, parts, x, y)
        return " ".join(parts), x, y


def line_chart(
    name: str,
    rows: Sequence[dict[str, float]],
    baseline: Sequence[dict[str, float]] | None,
    horizon: int,
    shocks: Sequence[tuple[int, str]] = (),
    title: str | None = None,
    colour: str = RUN_COLOUR,
    cache: PolylineCache | None = None,
    series: tuple[Any, Any] = ("run", "baseline"),
    others: Sequence[tuple[Sequence[dict[str, float]], str]] = (),
    text_scale: float = 1.0,
    labels: tuple[str, str] = ("this run", "without injected shocks"),
    marked: int | None = None,
    tooltip: str = "",
    unit: str | None = None,
    width: int = 300,
) -> str:
    """A small-multiple SVG chart of one outcome over the weeks.

    Shares are drawn on 0..1; counts (:data:`COUNT_OUTCOMES`) on 0 to a round number above
    the largest value shown. The y axis says its unit (``unit``, default :data:`UNITS`), the
    chart's legend names every line drawn (``labels``: the run's and the grey line's), shock
    marks carry their label (stacked in lanes when close; the whole text on hover), and
    ``marked`` (a 0-based model week, e.g. of a clicked event) is drawn as an orange line.
    ``cache`` (optional) keeps the formatted points of the series named by ``series`` (the
    run's key, the baseline's key) between calls. ``others``: more runs drawn dashed, as
    (rows, colour), e.g. the session a training room branched from. ``text_scale`` enlarges
    the lettering (and the margins that hold it), e.g. for a projector. ``tooltip``: the
    title's hover text (e.g. the glossary's). ``width``: the drawing's width in SVG units
    (the chart fills its cell, so a width near the cell's pixels keeps the lettering at its
    nominal size: 11 units for ticks, 13 for the title).
    """
    t = text_scale
    big_f, small_f = 13 * t, 11 * t
    big, small = f"{big_f:g}", f"{small_f:g}"
    is_count = name in COUNT_OUTCOMES
    w = int(width)
    left = round((34 if is_count else 28) * t)
    right, top = 8, round(36 * t)
    # the legend (every line this chart draws), laid out first: it may take two lines
    items = [(colour, "", labels[0])]
    if baseline:
        items.append((BASELINE_COLOUR, "", labels[1]))
    if any(o for o, _ in others):
        items.append((others[0][1], "5,3", "earlier branch"))
    if shocks:
        items.append((SHOCK_COLOUR, "3,2", "shock"))
    if marked is not None:
        items.append((MARK_COLOUR, "", "marked week"))
    placed, lx, line = [], 4.0, 0
    for item in items:
        iw = 15 * t + text_width(item[2], small_f)
        if lx > 4.0 and lx + iw > w - right:
            lx, line = 4.0, line + 1
        placed.append((lx, line, item))
        lx += iw + 8 * t
    legend_h = round(15 * t) * (line + 1)
    h = round(150 + 90 * (t - 1)) + legend_h - round(15 * t)
    bottom = round(16 * t) + legend_h
    pw, ph = w - left - right, h - top - bottom
    # the time axis grows with the run (in quarters of a year) so early weeks are readable
    longest = max([len(rows), *(len(o) for o, _ in others)])
    span = min(horizon, max(26, -(-int(longest * 1.2) // 13) * 13))
    week = len(rows)
    shown_base = baseline[: max(week, 1)] if baseline else None
    if is_count:
        seen = [r[name] for r in rows] + [r[name] for r in (shown_base or [])] + [
            r[name] for o, _ in others for r in o]
        ymax = nice_ceiling(max(seen, default=0.0))
    else:
        ymax = 1.0

    def sx(wk: float) -> float:
        return left + pw * min(wk, span) / max(span, 1)

    def sy(v: float) -> float:
        return top + ph * (1.0 - min(max(v / ymax, 0.0), 1.0))

    def points(key: Any, rs: Sequence[dict[str, float]]) -> tuple[str, float, float]:
        if cache is not None and key is not None:
            return cache.points(key, rs, name, (span, ymax), sx, sy)
        xs = [sx(r["step"] + 1) for r in rs]
        ys = [sy(r[name]) for r in rs]
        return _polyline(xs, ys), xs[-1], ys[-1]

    def tick(v: float) -> str:
        if is_count and ymax >= 10:
            return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        return f"{v:g}"

    last = rows[-1][name] if rows else None
    label = escape(title or TITLES.get(name, name.replace("_", " ").capitalize()))
    value = ("–" if last is None else f"{last:,.0f}" if is_count else f"{last:.2f}")
    unit_text = escape(unit if unit is not None else UNITS.get(name, ""))
    hover = f"<title>{escape(tooltip)}</title>" if tooltip else ""
    parts = [
        f'<svg class="chart" data-outcome="{name}" data-week="{week}" viewBox="0 0 {w} {h}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label} chart, week {week}" '
        'style="width:100%;height:auto;font-family:Roboto,Arial,sans-serif">',
        f'<text class="chart-title" x="4" y="{14 * t:g}" font-size="{big}" font-weight="600" '
        f'fill="#263238">{hover}{label}</text>',
        f'<text x="{w - right}" y="{14 * t:g}" font-size="{big}" text-anchor="end" '
        f'fill="{colour}" font-weight="600">{value}</text>',
        f'<text class="y-unit" x="4" y="{28 * t:g}" font-size="{small}" fill="#546e7a">'
        f'{unit_text}</text>',
    ]
    for v in (0.0, 0.5 * ymax, ymax):
        y = sy(v)
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#eceff1" stroke-width="1"/>')
        parts.append(f'<text class="tick" x="{left - 3}" y="{y + 4 * t:.1f}" '
                     f'font-size="{small}" text-anchor="end" fill="#546e7a">{tick(v)}</text>')
    axis_y = top + ph + small_f + 1
    parts.append(f'<text class="tick" x="{left}" y="{axis_y:.1f}" font-size="{small}" '
                 'fill="#546e7a">week 0</text>')
    parts.append(f'<text class="tick" x="{w - right}" y="{axis_y:.1f}" font-size="{small}" '
                 f'text-anchor="end" fill="#546e7a">week {span}</text>')
    # shock marks: a dashed line each; the labels in up to three lanes at the top of the plot
    texts = [str(txt) for _, txt in shocks]
    xs = [sx(at) for at, _ in shocks]
    def fit(txt: str, x: float) -> str:  # to the chart's right edge (at least 40% of it)
        room = max(w - right - x - 2, pw * 0.4)
        if text_width(txt, small_f) <= room:
            return txt
        return txt[: max(int(room / (0.55 * small_f)) - 1, 3)] + "…"

    short = [fit(txt, x) for txt, x in zip(texts, xs, strict=True)]
    lanes = stack_marks(xs, [text_width(s, small_f) + 6 for s in short])
    for x, txt, s, lane in zip(xs, texts, short, lanes, strict=True):
        ly = top + 2 + (lane + 1) * (small_f + 2)
        lw = text_width(s, small_f)
        lx = min(x + 2, w - right - lw)  # kept inside the chart; the line shows the week
        parts.append(
            f'<g class="shock-mark" data-lane="{lane}"><title>{escape(txt)}</title>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" '
            f'stroke="{SHOCK_COLOUR}" stroke-width="1.5" stroke-dasharray="3,2"/>'
            f'<rect x="{lx - 1:.1f}" y="{ly - small_f + 1:.1f}" width="{lw + 2:.1f}" '
            f'height="{small_f + 1:.1f}" fill="white" fill-opacity="0.8"/>'
            f'<text class="shock-label" x="{lx:.1f}" y="{ly:.1f}" font-size="{small}" '
            f'fill="{SHOCK_COLOUR}">{escape(s)}</text></g>'
        )
    if marked is not None:
        x = sx(marked + 1)
        parts.append(f'<g class="week-mark" data-week="{marked}"><title>Marked: week '
                     f'{week_number(marked)}</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" '
                     f'y2="{top + ph}" stroke="{MARK_COLOUR}" stroke-width="2.5"/></g>')
    if shown_base:
        pts, _, _ = points(series[1], shown_base)
        parts.append(f'<polyline class="baseline" points="{pts}" fill="none" '
                     f'stroke="{BASELINE_COLOUR}" stroke-width="1.5" stroke-opacity="0.6"/>')
    for other, other_colour in others:
        if other:
            pts, _, _ = points(None, other)
            parts.append(f'<polyline class="branch" points="{pts}" fill="none" '
                         f'stroke="{other_colour}" stroke-width="1.8" stroke-dasharray="5,3"/>')
    if rows:
        pts, x_last, y_last = points(series[0], rows)
        parts.append(f'<polyline class="run" points="{pts}" fill="none" '
                     f'stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<circle cx="{x_last:.1f}" cy="{y_last:.1f}" r="2.5" fill="{colour}"/>')
    legend = []
    for lx, line, (c, dash, text) in placed:
        ly = h - legend_h + round(15 * t) * (line + 1) - 4
        legend.append(f'<line x1="{lx:.1f}" x2="{lx + 12 * t:.1f}" y1="{ly - 4 * t:.1f}" '
                      f'y2="{ly - 4 * t:.1f}" stroke="{c}" stroke-width="2"'
                      + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                      f'<text x="{lx + 15 * t:.1f}" y="{ly:.1f}" font-size="{small}" '
                      f'fill="#37474f">{escape(text)}</text>')
    parts.append(f'<g class="legend">{"".join(legend)}</g>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- network
@lru_cache(maxsize=64)
def _layout_cached(org_key: bytes, role_key: bytes, m: int) -> np.ndarray:
    org = np.frombuffer(org_key, dtype=np.int64)
    role = np.frombuffer(role_key, dtype=np.int64)
    return _layout(org, role, m)


def _layout(org: np.ndarray, role: np.ndarray, m: int) -> np.ndarray:
    """Organisations round a circle; inside each, a sunflower with leaders at the centre."""
    n = org.shape[0]
    pos = np.zeros((n, 2))
    sizes = np.bincount(org, minlength=m).astype(float)
    radii = 0.9 * np.sqrt(np.maximum(sizes, 1.0) / max(sizes.max(), 1.0))
    ring = 1.0 + radii.max() if m > 1 else 0.0
    golden = np.pi * (3.0 - np.sqrt(5.0))
    # leaders first (executives, councillors, enablers, managers, frontline)
    rank = np.array([0, 3, 4, 1, 2])[role]
    for j in range(m):
        members = np.flatnonzero(org == j)
        if members.size == 0:
            continue
        members = members[np.argsort(rank[members], kind="stable")]
        angle = 2 * np.pi * j / m - np.pi / 2
        cx, cy = ring * np.cos(angle), ring * np.sin(angle)
        k = np.arange(members.size)
        r = radii[j] * np.sqrt((k + 0.5) / members.size)
        pos[members, 0] = cx + r * np.cos(k * golden)
        pos[members, 1] = cy + r * np.sin(k * golden)
    return pos


class NetworkCache:
    """What a network drawing keeps between Steps. A Step usually changes only trust, and
    some ties; the layout and the people's circles change only when people join, leave or
    move, so the circles, each pair's line segment and the pairing of the ties are kept."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.people_key: tuple[bytes, ...] | None = None
        self.xy: np.ndarray | None = None
        self.nodes = ""
        self.wide = True
        self.show: np.ndarray | None = None
        self.segments: dict[int, str] = {}  # pair key (i * n + j) -> "Mx yLx y"
        self.ties_key: tuple[bytes, bytes] | None = None
        self.pairs: tuple[np.ndarray, ...] = ()


def _people_part(model: Any, visible: Sequence[int] | None, focus: int | None,
                 cache: NetworkCache) -> None:
    """Layout, who is shown, and the circles (kept while people stay the same)."""
    p, o = model.state.people, model.state.orgs
    n, m = p.n, o.m
    key = (p.org.tobytes(), p.role.tobytes(), p.active.tobytes(),
           repr((None if visible is None else sorted(visible), focus, m)).encode())
    if cache.people_key == key:
        return
    pos = _layout_cached(p.org.astype(np.int64).tobytes(), p.role.astype(np.int64).tobytes(), m)
    size = 600
    lo, hi = pos.min(axis=0) - 0.15, pos.max(axis=0) + 0.15
    scale = (size - 20) / float(max(hi - lo))
    xy = (pos - lo) * scale + 10
    show = p.active.copy()
    if visible is not None:
        mask = np.zeros(n, dtype=bool)
        mask[np.asarray(list(visible), dtype=np.int64)] = True
        show &= mask
    node_scale = 1.0 if n <= 150 else float(np.sqrt(150.0 / n)) * 1.3
    role_names = list(ROLE_INDEX)
    nodes = []
    for j in range(m):
        members = np.flatnonzero((p.org == j) & show)
        if members.size == 0:
            continue
        colour = PALETTE[j % len(PALETTE)]
        circles = "".join(
            f'<circle cx="{xy[i, 0]:.1f}" cy="{xy[i, 1]:.1f}" '
            f'r="{ROLE_RADIUS[role_names[p.role[i]]] * node_scale:.1f}"/>'
            for i in members
        )
        nodes.append(f'<g fill="{colour}" stroke="white" stroke-width="0.6">{circles}</g>')
    if focus is not None:
        nodes.append(f'<circle cx="{xy[focus, 0]:.1f}" cy="{xy[focus, 1]:.1f}" r="11" '
                     'fill="none" stroke="#000" stroke-width="2.5"/>')
    if cache.xy is None or cache.xy.shape != xy.shape or not np.array_equal(cache.xy, xy):
        cache.segments = {}
    cache.people_key, cache.xy, cache.show = key, xy, show
    cache.nodes, cache.wide = "".join(nodes), n <= 150
    cache.ties_key = None  # who is shown may have changed


def _tie_part(model: Any, visible: Sequence[int] | None, focus: int | None,
              cache: NetworkCache) -> None:
    """One line per pair (i < j) of shown people, with its segment (kept while ties stay)."""
    p, t = model.state.people, model.state.ties
    key = (t.src.tobytes(), t.dst.tobytes())
    if cache.ties_key == key:
        return
    n, xy, show = p.n, cache.xy, cache.show
    assert xy is not None and show is not None
    a, b = np.minimum(t.src, t.dst), np.maximum(t.src, t.dst)
    uniq, inv = np.unique(a.astype(np.int64) * n + b, return_inverse=True)
    ua, ub = uniq // n, uniq % n
    sel = show[ua] & show[ub]
    if visible is not None and focus is not None:
        sel &= (ua == focus) | (ub == focus)
    cross = p.org[ua] != p.org[ub]
    segd = cache.segments
    segs = np.empty(len(uniq), dtype=object)
    for k, (pk, i, j) in enumerate(zip(uniq.tolist(), ua.tolist(), ub.tolist(), strict=True)):
        s = segd.get(pk)
        if s is None:
            s = segd[pk] = f"M{xy[i, 0]:.0f} {xy[i, 1]:.0f}L{xy[j, 0]:.0f} {xy[j, 1]:.0f}"
        segs[k] = s
    if len(segd) > 8 * max(len(uniq), 1000):  # pairs long gone
        cache.segments = {int(k): str(v) for k, v in zip(uniq, segs, strict=True)}
    count = np.bincount(inv, minlength=len(uniq))
    cache.ties_key = key
    cache.pairs = (inv, np.maximum(count, 1), sel, cross, segs)


def network_svg(model: Any, visible: Sequence[int] | None = None, focus: int | None = None,
                cache: NetworkCache | None = None) -> str:
    """The trust network: people coloured by organisation, sized by role, ties by trust.

    ``visible``: only these people (a person's partial view); ``focus``: that person.
    ``cache``: what to keep between Steps (one per drawing: a session's balcony view).
    """
    cache = cache if cache is not None else NetworkCache()
    _people_part(model, visible, focus, cache)
    _tie_part(model, visible, focus, cache)
    inv, count, sel, cross, segs = cache.pairs
    trust = np.bincount(inv, weights=model.state.ties.trust, minlength=len(sel)) / count
    size = 600
    parts = [
        f'<svg class="network" data-week="{model.week}" viewBox="0 0 {size} {size}" '
        'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Trust network" '
        'style="width:100%;height:auto;max-height:70vh">'
    ]
    # ties in trust bands: faint and thin when weak, dark and thick when strong
    bands = ((0.0, 0.25, 0.5, 0.12), (0.25, 0.5, 0.9, 0.25), (0.5, 0.75, 1.4, 0.45),
             (0.75, 1.01, 2.2, 0.7))
    for is_cross, colour in ((False, "#90a4ae"), (True, "#37474f")):
        for lo_t, hi_t, width, alpha in bands:
            s = sel & (cross == is_cross) & (trust >= lo_t) & (trust < hi_t)
            if not s.any():
                continue
            w = width * (1.0 if cache.wide else 0.7)
            parts.append(f'<path d="{"".join(segs[s])}" stroke="{colour}" '
                         f'stroke-width="{w:.2f}" stroke-opacity="{alpha}" fill="none"/>')
    parts.append(cache.nodes)
    parts.append("</svg>")
    return "".join(parts)


def legend_html(model: Any) -> str:
    o = model.state.orgs
    items = "".join(
        f'<span style="margin-right:12px;white-space:nowrap"><span style="display:inline-block;'
        f'width:11px;height:11px;border-radius:50%;background:{PALETTE[j % len(PALETTE)]};'
        f'margin-right:4px"></span>{escape(o.names[j])}</span>'
        for j in range(o.m) if o.alive[j]
    )
    sizes = " &gt; ".join(r for r in sorted(ROLE_RADIUS, key=lambda r: -ROLE_RADIUS[r]))
    return (f'<div style="font-size:13px;line-height:1.8">{items}</div>'
            f'<div style="font-size:12px;color:#607d8b">Size by role: {sizes}. Line darkness '
            'and width: trust (grey lines inside an organisation, dark across).</div>')


# --------------------------------------------------------------------------- PNG export
@lru_cache(maxsize=32)
def _font(px: int, bold: bool = False) -> Any:
    """DejaVu Sans at ``px`` pixels (the TrueType files matplotlib ships; found without
    importing it), else Pillow's own scalable default font."""
    import importlib.util
    import os

    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "mpl-data", "fonts", "ttf",
                            "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
        if os.path.exists(path):
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(px)  # pragma: no cover - matplotlib is a dependency


PNG_CELL = (430, 270)
"""One chart of the PNG, in pixels (three across)."""
PNG_SUPERSAMPLE = 2
"""Drawn at twice the size and scaled down: smooth lines without a vector renderer."""


def charts_png(
    names: Sequence[str],
    rows: Sequence[dict[str, float]],
    baseline: Sequence[dict[str, float]] | None,
    horizon: int,
    shocks: Sequence[tuple[int, str]] = (),
    title: str = "",
    marked: int | None = None,
    labels: tuple[str, str] = ("this run", "without injected shocks"),
) -> bytes:
    """The outcome charts as one PNG for a debrief: the same outcomes, units, legend,
    labelled (and stacked) shock marks and marked week as the page's charts.

    Drawn directly with Pillow (lines, text, a fixed grid of three charts across) at twice
    the size and scaled down, so a whole run takes a few tens of milliseconds instead of
    the seconds a plotting library's figure takes (benchmarks/bench_png.py)."""
    from PIL import Image, ImageDraw

    k = PNG_SUPERSAMPLE
    cols = 3
    cw, ch = PNG_CELL
    nrows = max((len(names) + cols - 1) // cols, 1)
    head, foot = (44 if title else 12), 40
    width, height = cols * cw, head + nrows * ch + foot
    img = Image.new("RGB", (width * k, height * k), "white")
    d = ImageDraw.Draw(img)

    def font(px: int, bold: bool = False) -> Any:
        return _font(px * k, bold)

    def text(x: float, y: float, s: str, px: int, fill: str, anchor: str = "la",
             bold: bool = False) -> None:
        d.text((x * k, y * k), s, font=font(px, bold), fill=fill, anchor=anchor)

    def length(s: str, px: int) -> float:
        return float(font(px).getlength(s)) / k

    def vline(x: float, y0: float, y1: float, colour: str, w: float, dash: float = 0) -> None:
        if not dash:
            d.line([(x * k, y0 * k), (x * k, y1 * k)], fill=colour, width=round(w * k))
            return
        y = y0
        while y < y1:
            d.line([(x * k, y * k), (x * k, min(y + dash, y1) * k)], fill=colour,
                   width=round(w * k))
            y += 2 * dash

    if title:
        text(width / 2, 14, title, 17, "#263238", "ma", bold=True)
    step = 52 if horizon > 104 else 13 if horizon <= 52 else 26
    shown_base = list(baseline[: len(rows)]) if baseline else []
    for n, name in enumerate(names):
        ox, oy = (n % cols) * cw, head + (n // cols) * ch
        left, right, top, bottom = ox + 54, ox + cw - 16, oy + 50, oy + ch - 30
        values = [r[name] for r in rows]
        base_values = [r[name] for r in shown_base]
        is_count = name in COUNT_OUTCOMES
        ymax = nice_ceiling(max([*values, *base_values], default=0.0)) if is_count else 1.0

        def sx(week: float, left: float = left, right: float = right) -> float:
            return left + (right - left) * min(max(week, 0), horizon) / max(horizon, 1)

        def sy(v: float, top: float = top, bottom: float = bottom, ymax: float = ymax
               ) -> float:
            return bottom - (bottom - top) * min(max(v / ymax, 0.0), 1.0)

        text(ox + 12, oy + 8, TITLES.get(name, name), 16, "#263238", bold=True)
        if values:
            text(ox + cw - 16, oy + 8, f"{values[-1]:,.0f}" if is_count else
                 f"{values[-1]:.2f}", 16, RUN_COLOUR, "ra", bold=True)
        text(ox + 12, oy + 29, UNITS.get(name, ""), 12, "#546e7a")
        for v in (0.0, ymax / 2, ymax):
            y = sy(v)
            d.line([(left * k, y * k), (right * k, y * k)], fill="#e0e6ea", width=k)
            label = (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}") if is_count \
                else f"{v:g}"
            text(left - 6, y, label, 12, "#546e7a", "rm")
        for wk in range(0, horizon + 1, step):
            text(sx(wk), bottom + 5, f"{wk}", 12, "#546e7a", "ma")
        d.line([(left * k, bottom * k), (right * k, bottom * k)], fill="#90a4ae", width=k)
        xs = [sx(at) for at, _ in shocks]
        short = [t if length(t, 11) <= right - x - 4 else
                 t[: max(int((right - x - 4) / 6.2) - 1, 3)] + "…"
                 for (_, t), x in zip(shocks, xs, strict=True)]
        lanes = stack_marks(xs, [length(t, 11) + 6 for t in short])
        for x in xs:
            vline(x, top, bottom, SHOCK_COLOUR, 1.5, dash=4)
        if marked is not None:
            vline(sx(marked + 1), top, bottom, MARK_COLOUR, 2.5)
        for series, colour, w in ((shown_base, BASELINE_COLOUR, 2.0), (rows, RUN_COLOUR, 2.6)):
            pts = [(sx(r["step"] + 1) * k, sy(r[name]) * k) for r in series]
            if len(pts) > 1:
                d.line(pts, fill=colour, width=round(w * k), joint="curve")
        for x, t, lane in zip(xs, short, lanes, strict=True):  # labels over the lines
            ly = top + 2 + lane * 14
            d.rectangle([((x + 2) * k, ly * k), ((x + 4 + length(t, 11)) * k, (ly + 13) * k)],
                        fill="white")
            text(x + 3, ly, t, 11, SHOCK_COLOUR)
    # one legend for the page: every line the charts draw
    items = [(RUN_COLOUR, 0.0, labels[0])]
    if shown_base:
        items.append((BASELINE_COLOUR, 0.0, labels[1]))
    if shocks:
        items.append((SHOCK_COLOUR, 4.0, "shock (red label: kind and organisation)"))
    if marked is not None:
        items.append((MARK_COLOUR, 0.0, "marked week"))
    items_w = sum(30 + length(t, 13) + 24 for _, _, t in items)
    x, y = (width - items_w) / 2, height - foot / 2
    for colour, dash, label in items:
        if dash:
            for x0 in range(int(x), int(x + 24), 8):
                d.line([(x0 * k, y * k), ((x0 + 4) * k, y * k)], fill=colour, width=3 * k)
        else:
            d.line([(x * k, y * k), ((x + 24) * k, y * k)], fill=colour, width=3 * k)
        text(x + 30, y, label, 13, "#37474f", "lm")
        x += 30 + length(label, 13) + 24
    text(width - 12, height - 14, "x axis: week", 11, "#78909c", "rm")
    out = img.resize((width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
