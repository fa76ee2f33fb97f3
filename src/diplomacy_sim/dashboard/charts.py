"""Light drawing: inline SVG for the page (built in well under a millisecond per chart, no
front-end library to serve), and matplotlib PNG only when a trainer downloads the charts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

import numpy as np

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
    "avoidance": "Avoidance",
}


def _polyline(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


class PolylineCache:
    """The SVG points of growing series, kept between Steps so that a Step formats only the
    new week's points (rows are append-only while a model runs; clear on Reset)."""

    def __init__(self) -> None:
        self._d: dict[Any, tuple[int, list[str], float, float]] = {}

    def clear(self) -> None:
        self._d.clear()

    def points(self, key: Any, rows: Sequence[dict[str, float]], name: str, span: int,
               sx: Any, sy: Any) -> tuple[str, float, float]:
        """(points, last x, last y) of ``rows[name]`` for the chart geometry ``span``."""
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
) -> str:
    """A small-multiple SVG chart of one 0..1 outcome over the weeks.

    ``cache`` (optional) keeps the formatted points of the series named by ``series`` (the
    run's key, the baseline's key) between calls. ``others``: more runs drawn dashed, as
    (rows, colour), e.g. the session a training room branched from. ``text_scale`` enlarges
    the lettering (and the margins that hold it), e.g. for a projector.
    """
    t = text_scale
    w, h = 300, round(130 + 40 * (t - 1))
    left, right, top, bottom = round(30 * t), 8, round(22 * t), round(18 * t)
    big, small = f"{13 * t:g}", f"{9 * t:g}"
    pw, ph = w - left - right, h - top - bottom
    # the time axis grows with the run (in quarters of a year) so early weeks are readable
    longest = max([len(rows), *(len(o) for o, _ in others)])
    span = min(horizon, max(26, -(-int(longest * 1.2) // 13) * 13))

    def sx(week: float) -> float:
        return left + pw * min(week, span) / max(span, 1)

    def sy(v: float) -> float:
        return top + ph * (1.0 - min(max(v, 0.0), 1.0))

    def points(key: Any, rs: Sequence[dict[str, float]]) -> tuple[str, float, float]:
        if cache is not None and key is not None:
            return cache.points(key, rs, name, span, sx, sy)
        xs = [sx(r["step"] + 1) for r in rs]
        ys = [sy(r[name]) for r in rs]
        return _polyline(xs, ys), xs[-1], ys[-1]

    week = len(rows)
    last = rows[-1][name] if rows else None
    label = escape(title or TITLES.get(name, name))
    value = f"{last:.2f}" if last is not None else "–"
    parts = [
        f'<svg class="chart" data-outcome="{name}" data-week="{week}" viewBox="0 0 {w} {h}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label} chart, week {week}" '
        'style="width:100%;height:auto;font-family:Roboto,Arial,sans-serif">',
        f'<text x="{left}" y="{14 * t:g}" font-size="{big}" font-weight="600" '
        f'fill="#263238">{label}</text>',
        f'<text x="{w - right}" y="{14 * t:g}" font-size="{big}" text-anchor="end" '
        f'fill="{colour}" font-weight="600">{value}</text>',
    ]
    for v in (0.0, 0.5, 1.0):
        y = sy(v)
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#eceff1" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3 * t:.1f}" font-size="{small}" '
                     f'text-anchor="end" fill="#78909c">{v:g}</text>')
    parts.append(f'<text x="{left}" y="{h - 4}" font-size="{small}" fill="#78909c">0</text>')
    parts.append(f'<text x="{w - right}" y="{h - 4}" font-size="{small}" text-anchor="end" '
                 f'fill="#78909c">week {span}</text>')
    for at, text in shocks:
        x = sx(at)
        parts.append(
            f'<g class="shock-mark"><line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" '
            f'stroke="{SHOCK_COLOUR}" stroke-width="1.5" stroke-dasharray="3,2"/>'
            f'<path d="M{x - 4:.1f},{top} L{x + 4:.1f},{top} L{x:.1f},{top + 6}" '
            f'fill="{SHOCK_COLOUR}"><title>{escape(text)}</title></path></g>'
        )
    if baseline:
        pts, _, _ = points(series[1], baseline[: max(week, 1)])
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
def charts_png(
    names: Sequence[str],
    rows: Sequence[dict[str, float]],
    baseline: Sequence[dict[str, float]] | None,
    horizon: int,
    shocks: Sequence[tuple[int, str]] = (),
    title: str = "",
) -> bytes:
    """The outcome charts as one PNG (matplotlib, Agg; only on download)."""
    from matplotlib.figure import Figure

    cols = 4
    nrows = (len(names) + cols - 1) // cols
    fig = Figure(figsize=(4 * cols, 2.8 * nrows), dpi=110, layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    x = [r["step"] + 1 for r in rows]
    for ax, name in zip(axes, names, strict=False):
        if baseline:
            bl = baseline[: len(rows)]
            ax.plot([r["step"] + 1 for r in bl], [r[name] for r in bl], color=BASELINE_COLOUR,
                    lw=1.5, alpha=0.7, label="without injected shocks")
        ax.plot(x, [r[name] for r in rows], color=RUN_COLOUR, lw=2, label="this run")
        for at, _text in shocks:
            ax.axvline(at, color=SHOCK_COLOUR, ls="--", lw=1.2)
        ax.set_title(TITLES.get(name, name))
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, 1)
        ax.set_xlabel("week")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        axes[0].legend(loc="lower left", fontsize=8)
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
