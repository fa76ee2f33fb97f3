"""Parts of the page shared by the explorer (``app.py``) and the training room
(``room_pages.py``): the chart grid, the narrative of events, the shock form and the
:class:`Island` render context. Every text that comes from a model, a scenario or a person is
escaped here; none of these functions takes HTML from a caller except the SVG charts built by
:mod:`diplomacy_sim.dashboard.charts` (which escapes its own labels)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import ipyvuetify
import solara
from solara.alias import rv

from diplomacy_sim.dashboard import charts
from diplomacy_sim.dashboard.glossary import GLOSSARY, glossary_html, term_html
from diplomacy_sim.dashboard.people import (
    MAX_QUERY,
    PersonEntry,
    grouped_items,
    search_people,
)
from diplomacy_sim.dashboard.session import (
    SHOCK_CLASSES,
    SHOCK_KINDS,
    ShockField,
    format_number,
    humanise,
    parse_number,
    shock_default,
    shock_field_shown,
    shock_fields,
    shock_hint,
    shock_targets,
)
from diplomacy_sim.domain.events import week_number
from diplomacy_sim.scenario.loader import ScenarioError


# --------------------------------------------------------------------------- charts
def outcome_charts(
    names: Sequence[str],
    rows: Sequence[dict[str, float]],
    baseline: Sequence[dict[str, float]] | None,
    horizon: int,
    shocks: Sequence[tuple[int, str]] = (),
    cache: charts.PolylineCache | None = None,
    series: tuple[Any, Any] = ("run", "baseline"),
    marked: int | None = None,
    text_scale: float = 1.0,
    labels: tuple[str, str] = ("this run", "without injected shocks"),
    width: int = 300,
) -> list[str]:
    """One SVG line chart per outcome, with the counterfactual in grey, shocks in red
    (labelled), the marked week in orange and the glossary's words on hover."""
    return [charts.line_chart(k, rows, baseline, horizon, shocks, cache=cache, series=series,
                              marked=marked, text_scale=text_scale, labels=labels,
                              width=width,
                              tooltip=GLOSSARY[k].short if k in GLOSSARY else "")
            for k in names]


def chart_grid_html(svgs: Sequence[str], week: int, n_shocks: int, note: str = "",
                    min_width: int = 260, note_px: int = 12, fit: bool = False,
                    marked: int | None = None) -> str:
    """The charts in a responsive grid; ``data-week``/``data-shocks``/``data-marked-week``
    (the 0-based week marked from the narrative) are for tests.
    ``fit``: a few charts stretch to fill the row instead of leaving empty columns."""
    cells = "".join(f'<div style="min-width:0">{s}</div>' for s in svgs)
    mark = "" if marked is None else f' data-marked-week="{int(marked)}"'
    html = (f'<div class="charts" data-week="{week}" data-shocks="{n_shocks}"{mark} '
            f'style="display:grid;grid-template-columns:repeat({"auto-fit" if fit else "auto-fill"},'
            f'minmax({min_width}px,1fr));gap:8px">{cells}</div>')
    if note:
        html += f'<div style="font-size:{note_px}px;color:#607d8b">{escape(note)}</div>'
    return html


def chart_terms_html(names: Sequence[str], font_px: int = 12) -> str:
    """A line of the charted terms, each with its tooltip and a link to the glossary."""
    links = " · ".join(term_html(k) for k in names if k in GLOSSARY)
    return (f'<div class="chart-terms" style="font-size:{font_px}px;color:#455a64">'
            f'What the charts measure (hover, or click for the glossary): {links}</div>')


# --------------------------------------------------------------------------- choices
@solara.component
def ChoiceToggle(value: solara.Reactive[Any], values: Sequence[Any], dense: bool = False) -> None:
    """One of ``values`` chosen with a row of buttons (Solara's ``ToggleButtonsSingle``), the
    page's choice checked on the server: the index a page sends is taken only if it is one of
    the buttons'; anything else leaves the choice as it was. (Solara's indexes its list with
    the page's value: an index past the end, or a text, replaced the page with a traceback.)"""
    options = list(values)
    current = options.index(value.value) if value.value in options else 0

    def on_index(index: Any) -> None:
        if type(index) is int and 0 <= index < len(options):
            value.set(options[index])

    rv.BtnToggle(v_model=current, on_v_model=on_index, mandatory=True, multiple=False,
                 dense=dense, children=[solara.Button(label=str(x)) for x in options])


# --------------------------------------------------------------------------- glossary
@solara.component
def GlossaryPanel(keys: Sequence[str] | None = None, font_px: int = 14) -> None:
    """The glossary for a learner: every term, its unit and its source idea (the targets of
    every tooltip link on the page)."""
    solara.HTML(tag="div", unsafe_innerHTML=glossary_html(keys, font_px))


# --------------------------------------------------------------------------- role view
def signal_noise_html(noise: float, names: Sequence[str], font_px: int = 12) -> str:
    """What the role view's noise means, in words, for the noise of the one signal rule
    (:func:`diplomacy_sim.model.views.signals_seen`: the true value plus normal noise of
    ``affect.signal_noise``, kept in 0..1): nine weeks in ten the figure is within the
    central 90% interval of that noise."""
    from scipy.stats import norm

    half = float(norm.interval(0.9, loc=0.0, scale=noise)[1]) if noise > 0 else 0.0
    what = ", ".join(GLOSSARY[k].name.lower() if k in GLOSSARY else k for k in names)
    text = (f"You see {what} through your own contacts, not the true figures. Each week's "
            f"estimate is fresh: nine weeks in ten it is within ±{half:.2f} of the true value, "
            "so jumps from week to week are mostly noise; near 0 or 1 it is cut at the end of "
            "the scale. The balcony shows the true values.") if noise > 0 else (
        f"You see {what} exactly (this scenario's signals have no noise).")
    return (f'<div class="noise-note" style="font-size:{font_px}px;color:#455a64">'
            f'{term_html("signal", "As seen")}: {escape(text)}</div>')


@solara.component
def PersonPicker(entries: Sequence[PersonEntry], value: int,
                 on_value: Callable[[int], None], label: str = "See as") -> None:
    """Find a person: type part of a name, job title, role or organisation; the server sends
    back at most :data:`people.MAX_RESULTS` matches, grouped by organisation and role. Only
    a person of ``entries`` is ever chosen (the page's value is checked here)."""
    query, set_query = solara.use_state("")
    by_index = solara.use_memo(lambda: {e.index: e for e in entries}, [entries])
    hits, total = search_people(list(entries), query)
    items = grouped_items(hits, by_index.get(value))

    def choose(v: Any) -> None:
        if isinstance(v, int) and not isinstance(v, bool) and v in by_index:
            on_value(v)

    with solara.Row(gap="10px", classes=["person-picker"],
                    style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputText("Find a person: name, job, role, organisation", value=query,
                         on_value=lambda t: set_query(str(t)[:MAX_QUERY]),
                         continuous_update=True, classes=["person-search"], dense=True,
                         hide_details=True, style={"width": "250px", "flex": "none"})
        rv.Select(label=label, items=items, v_model=value if value in by_index else None,
                  on_v_model=choose, dense=True, hide_details=True,
                  menu_props={"maxHeight": 420}, style_="width:300px;flex:none")
        shown = len(hits)
        if query.strip():
            count = (f"{total} match{'' if total == 1 else 'es'}; showing {shown}"
                     + (" — type more to narrow it down" if total > shown else ""))
        else:
            count = f"{total} people" + (f"; showing the first {shown} — type to search"
                                         if total > shown else "")
        solara.Text(count, classes=["picker-count"],
                    style={"font-size": "12px", "color": "#546e7a"})


# --------------------------------------------------------------------------- narrative
def event_item_html(e: Mapping[str, Any], font_px: int = 14,
                    injected_tag: str = "[injected by the trainer]") -> str:
    """One event: week, what happened, why (all escaped); ``injected_tag`` marks an event a
    person caused from outside the model ("" for none)."""
    tag = (f' <span style="color:#c62828;font-weight:600">{escape(injected_tag)}</span>'
           if e.get("injected") and injected_tag else "")
    small = max(font_px - 2, 12)
    return (f'<li class="event" style="margin-bottom:4px;font-size:{font_px}px">'
            f'<span style="color:#78909c">Week {week_number(int(e["step"]))}:</span> '
            f'{escape(str(e["text"]))}{tag}<br><span style="font-size:{small}px;'
            f'color:#546e7a">Why: {escape(str(e.get("cause", "")))}</span></li>')


def narrative_html(head: str, now: Sequence[Mapping[str, Any]],
                   earlier: Sequence[Mapping[str, Any]], week: int, empty: str,
                   font_px: int = 14,
                   tag_of: Callable[[Mapping[str, Any]], str] | None = None) -> str:
    """A heading, the newest events, then older ones (escaped); ``tag_of(event)`` gives the
    mark of an injected event (default: the explorer's "[injected by the trainer]")."""
    def item(e: Mapping[str, Any]) -> str:
        return (event_item_html(e, font_px) if tag_of is None
                else event_item_html(e, font_px, tag_of(e)))

    body = "".join(item(e) for e in now) or (
        f'<li style="color:#78909c;font-size:{font_px}px">{escape(empty)}</li>' if empty else "")
    older = "".join(item(e) for e in earlier)
    return (f'<div class="narrative" data-week="{week}"><div style="font-weight:600;'
            f'font-size:{font_px}px">{escape(head)}</div><ul style="padding-left:18px">{body}</ul>'
            + (f'<div style="font-weight:600;color:#78909c;font-size:{font_px}px">Earlier</div>'
               f'<ul style="padding-left:18px;color:#455a64">{older}</ul>' if older else "")
            + "</div>")


# --------------------------------------------------------------------------- the whole history
MERGE_WITHIN_WEEKS = 13
"""Repeats of one event (same kind and words) at most this many weeks apart — a quarter —
are one entry of the narrative ("3 times, weeks 40–48")."""


def merge_repeats(events: Sequence[Mapping[str, Any]],
                  within: int = MERGE_WITHIN_WEEKS) -> list[dict[str, Any]]:
    """The events (oldest first, as the model logs them) with repeats merged: an event with
    the same kind, text and actors as an earlier entry, at most ``within`` weeks after that
    entry's latest occurrence, joins it. Each entry keeps its first ``step`` (0-based), its
    ``last`` step, its ``count``, and the latest ``cause`` (the reason as it stands now)."""
    out: list[dict[str, Any]] = []
    open_: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in events:
        step = int(e["step"])
        key = (e["kind"], e["text"], tuple(e.get("actors", ())), bool(e.get("injected")))
        entry = open_.get(key)
        if entry is not None and step - entry["last"] <= within:
            entry["last"] = step
            entry["count"] += 1
            entry["cause"] = e.get("cause", "")
            continue
        entry = {**dict(e), "step": step, "last": step, "count": 1,
                 "actors": list(e.get("actors", ()))}
        open_[key] = entry
        out.append(entry)
    return out


def filter_events(events: Sequence[Mapping[str, Any]], organisation: str | None = None,
                  kind: str | None = None) -> list[Mapping[str, Any]]:
    """The events naming ``organisation`` among their actors, of ``kind`` (None: any)."""
    return [e for e in events
            if (organisation is None or organisation in e.get("actors", ()))
            and (kind is None or e["kind"] == kind)]


def when_text(entry: Mapping[str, Any]) -> str:
    """"Week 47", or for a merged entry "Weeks 40–48 (3 times)" (:func:`week_number`)."""
    first, last = week_number(int(entry["step"])), week_number(int(entry.get("last",
                                                                             entry["step"])))
    n = int(entry.get("count", 1))
    if n == 1:
        return f"Week {first}"
    span = f"Week {first}" if first == last else f"Weeks {first}–{last}"
    return f"{span} ({n} times)"


def narrative_entries(entries: Sequence[Mapping[str, Any]],
                      tag_of: Callable[[Mapping[str, Any]], str] | None = None
                      ) -> list[dict[str, Any]]:
    """The merged entries, newest first, as plain values for the narrative's template (text
    only: the template interpolates, so nothing is HTML)."""
    out = []
    for j, e in enumerate(reversed(entries)):
        tag = (tag_of(e) if tag_of else "[injected by the trainer]") if e.get("injected") \
            else ""
        out.append({"key": f"{len(entries) - j}", "step": int(e["step"]),
                    "when": when_text(e), "text": str(e["text"]),
                    "cause": str(e.get("cause", "")), "tag": tag})
    return out


@solara.component_vue(str(Path(__file__).parent / "vue" / "narrative.vue"))
def NarrativeList(entries: list[dict[str, Any]], head: str, empty: str, week: int,
                  marked: int | None, font: int = 14,
                  event_mark: Callable[[dict[str, Any]], None] | None = None) -> None:
    """The narrative's list; ``event_mark({"step"})`` when an entry is clicked."""


# --------------------------------------------------------------------------- shock form
def _none() -> str | None:
    return None


def _empty() -> dict[str, Any]:
    return {}


_MISSING: Any = object()


@solara.component
def ShockForm(
    orgs: Sequence[tuple[str, str, str]],
    issues: Sequence[tuple[str, str]],
    on_inject: Callable[[dict[str, Any], str], str],
    disabled: bool = False,
    when: Sequence[tuple[str, str]] = (("Inject now", "now"),),
    context: Any = None,
) -> None:
    """The trainer's shock form, generated from the shock registry and the schema's classes.

    ``orgs`` are (id, name, kind) of the living organisations and ``issues`` (id, label)
    choices; each organisation field offers only the targets the registry allows for the
    kind (and, for a merge, for the organisation merged). ``on_inject(shock, when)`` applies
    the shock and returns the message to show, or raises ``ScenarioError`` / ``ValueError``
    with what is wrong. ``when`` names one button per moment (label, value). A message
    belongs to its kind, its values and its ``context`` (the run, the round): it is cleared
    when any of them changes.
    """
    kind, set_kind = solara.use_state("budget_cut")
    values, set_values = solara.use_state(_empty())
    errors, set_errors = solara.use_state(_empty())
    result, set_result = solara.use_state(_none())
    failed, set_failed = solara.use_state(False)
    fields = shock_fields(kind)
    org_list = list(orgs)

    def clear_on_new_context() -> None:
        set_result(None)
        set_errors({})

    solara.use_effect(clear_on_new_context, [context, kind])

    def options(f: ShockField, so_far: dict[str, Any]) -> list[dict[str, str]]:
        if f.source == "literal":
            return [{"text": humanise(o), "value": o} for o in f.options]
        if f.source == "issues":
            return [{"text": t, "value": v} for v, t in issues]
        return [{"text": t, "value": v} for v, t in shock_targets(kind, f, org_list, so_far)]

    def resolve() -> dict[str, Any]:
        """Every field's value now, in the schema's order: what was set, kept only while the
        registry's rules still allow it (the choices of one field depend on those before
        it), else the default — the registry's, the schema's, or the first choice allowed."""
        out: dict[str, Any] = {}
        for f in fields:
            opts = None if f.kind == "number" else options(f, out)
            allowed = {o["value"] for o in opts or []}

            def offered(x: Any, allowed: set[Any] = allowed) -> bool:
                # a value from the page: any JSON, hashable or not
                return isinstance(x, str) and x in allowed

            v = values.get(f.name, _MISSING)
            if v is not _MISSING and f.source == "organisations":
                v = [x for x in v if offered(x)] if isinstance(v, list) else (
                    v if offered(v) else _MISSING)
                if f.name == "into" and v is None and out.get("mode") == "merge":
                    v = _MISSING  # a merge must keep one: back to the first allowed
            if v is _MISSING:
                v = shock_default(kind, f)
                if v is None and opts is not None:
                    first = opts[0]["value"] if opts else None
                    v = ([first] if first is not None else []) if f.kind == "choices" else (
                        (first if out.get("mode") == "merge" else None)
                        if f.kind == "optional_choice" else first)
            out[f.name] = v
        return out

    now = resolve()

    def set_value(name: str, v: Any) -> None:
        set_values({**values, name: v})
        set_result(None)  # the message was about the values before this change
        set_errors({k: e for k, e in errors.items() if k != name})

    def inject(moment: str) -> None:
        shock: dict[str, Any] = {"kind": kind}
        errs: dict[str, str] = {}
        for f in fields:
            if not shock_field_shown(f, now):
                continue
            v = now[f.name]
            if f.kind == "number":
                parsed, err = parse_number(v, f.info)  # type: ignore[arg-type]
                if err:
                    errs[f.name] = err
                shock[f.name] = parsed
            elif v not in (None, "", []):
                shock[f.name] = v
        set_errors(errs)
        if errs:
            set_failed(True)
            set_result("Not injected: fix the fields marked in red.")
            return
        try:
            message = on_inject(shock, moment)
        except ScenarioError as exc:
            set_failed(True)
            set_result("Not injected: " + "; ".join(exc.problems))
            return
        except ValueError as exc:
            set_failed(True)
            set_result(f"Not injected: {exc}")
            return
        set_failed(False)
        set_result(message)

    def choose_kind(k: Any) -> None:
        if not isinstance(k, str) or k not in SHOCK_CLASSES:  # only a kind the panel offers
            return
        set_kind(k)
        set_values({})
        set_errors({})
        set_result(None)

    rv.Select(label="Shock", items=[{"text": SHOCK_KINDS[k].label, "value": k}
                                    for k in SHOCK_CLASSES],
              v_model=kind, on_v_model=choose_kind, dense=True, hide_details=True)
    for f in fields:
        if not shock_field_shown(f, now):
            continue
        if f.kind == "number":
            info = f.info
            hint = (f"{format_number(info.low, info.type)}–"  # type: ignore[union-attr]
                    f"{format_number(info.high, info.type)} {info.unit}")  # type: ignore[union-attr]
            solara.InputText(label=f.label, value=str(now[f.name]),
                             on_value=lambda t, n=f.name: set_value(n, t),
                             error=errors.get(f.name, False), message=errors.get(f.name, hint),
                             dense=True, continuous_update=True).key(f"{kind}:{f.name}")
        else:
            required = f.name == "into" and now.get("mode") == "merge"
            rv.Select(label="Into (the organisation kept)" if required else f.label,
                      items=options(f, now), v_model=now[f.name],
                      multiple=f.kind == "choices",
                      clearable=f.kind == "optional_choice" and not required,
                      on_v_model=lambda v, n=f.name: set_value(n, v), dense=True,
                      hide_details=True).key(f"{kind}:{f.name}")
    hint = shock_hint(kind, now, org_list)
    if hint:
        solara.Text(hint, classes=["shock-hint"], style={"font-size": "12px",
                                                         "color": "#455a64"})
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
        for label, moment in when:
            solara.Button(label, on_click=lambda m=moment: inject(m), color="error",
                          icon_name="mdi-flash", disabled=disabled)
    if result:
        (solara.Error if failed else solara.Success)(result, dense=True,
                                                     classes=["shock-result"])


# --------------------------------------------------------------------------- headings
@solara.component
def Heading(title: str, note: str = "", level: int | None = None) -> None:
    """A panel's bold title and a plain note, or (``level`` 2-4) a page heading, as text
    nodes (never HTML). Not ``solara.Markdown``: its front end loads mermaid and KaTeX
    (about 1 MB compressed, 4 MB of JavaScript to parse) into every page that shows one,
    for a few labels."""
    if level is not None:
        rv.Html(tag=f"h{min(max(int(level), 2), 4)}", class_="panel-heading",
                children=[title] + ([f" {note}"] if note else []))
        return
    rv.Html(tag="div", class_="panel-heading", style_="margin:4px 0",
            children=[rv.Html(tag="b", children=[title])] + ([f" {note}"] if note else []))


# --------------------------------------------------------------------------- islands
@solara.component
def Island(make: Callable[[], solara.Element]) -> None:
    """Render ``make()`` in a reacton render context of its own, inside this page.

    A state change re-renders from the root of its render context, walking and reconciling
    the whole tree even where nothing changed: with the sidebar, the set-up and the
    parameter controls that is ~30 ms a Step, too much for 20 sessions playing on one
    server process. Each part a Step changes (week, charts, cards, network, narrative) is
    therefore an island with a tree of two elements; a Step renders only those (~1 ms in
    all), never the rest of the page. Solara's own Markdown component renders embedded apps
    the same way.
    """
    box = solara.use_memo(lambda: ipyvuetify.Html(tag="div", children=[]), [])

    def mount() -> Callable[[], None]:
        _, rc = solara.render(make(), container=box,  # type: ignore[call-overload]
                              handle_error=False)
        return rc.close

    solara.use_effect(mount, [])
    rv.Html(tag="div", children=[box])
