"""Parts of the page shared by the explorer (``app.py``) and the training room
(``room_pages.py``): the chart grid, the narrative of events, the shock form and the
:class:`Island` render context. Every text that comes from a model, a scenario or a person is
escaped here; none of these functions takes HTML from a caller except the SVG charts built by
:mod:`diplomacy_sim.dashboard.charts` (which escapes its own labels)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

import ipyvuetify
import solara
from solara.alias import rv

from diplomacy_sim.dashboard import charts
from diplomacy_sim.dashboard.session import (
    SHOCK_CLASSES,
    SHOCK_KINDS,
    ShockField,
    format_number,
    humanise,
    parse_number,
    shock_default,
    shock_fields,
    shock_targets,
)
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
) -> list[str]:
    """One SVG line chart per outcome, with the counterfactual in grey and shocks in red."""
    return [charts.line_chart(k, rows, baseline, horizon, shocks, cache=cache, series=series)
            for k in names]


def chart_grid_html(svgs: Sequence[str], week: int, n_shocks: int, note: str = "",
                    min_width: int = 260, note_px: int = 12) -> str:
    """The charts in a responsive grid; ``data-week``/``data-shocks`` are for tests."""
    cells = "".join(f'<div style="min-width:0">{s}</div>' for s in svgs)
    html = (f'<div class="charts" data-week="{week}" data-shocks="{n_shocks}" '
            'style="display:grid;grid-template-columns:repeat(auto-fill,'
            f'minmax({min_width}px,1fr));gap:8px">{cells}</div>')
    if note:
        html += f'<div style="font-size:{note_px}px;color:#607d8b">{escape(note)}</div>'
    return html


# --------------------------------------------------------------------------- narrative
def event_item_html(e: Mapping[str, Any], font_px: int = 14,
                    injected_tag: str = "[injected by the trainer]") -> str:
    """One event: week, what happened, why (all escaped); ``injected_tag`` marks an event a
    person caused from outside the model ("" for none)."""
    tag = (f' <span style="color:#c62828;font-weight:600">{escape(injected_tag)}</span>'
           if e.get("injected") and injected_tag else "")
    small = max(font_px - 2, 12)
    return (f'<li class="event" style="margin-bottom:4px;font-size:{font_px}px">'
            f'<span style="color:#78909c">Week {int(e["step"]) + 1}:</span> '
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


# --------------------------------------------------------------------------- shock form
def _none() -> str | None:
    return None


def _empty() -> dict[str, Any]:
    return {}


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

    def options(f: ShockField) -> list[dict[str, str]]:
        if f.source == "literal":
            return [{"text": humanise(o), "value": o} for o in f.options]
        if f.source == "issues":
            return [{"text": t, "value": v} for v, t in issues]
        return [{"text": t, "value": v} for v, t in shock_targets(kind, f, org_list, chosen())]

    def chosen() -> dict[str, Any]:
        """The values set so far (for the fields other fields depend on)."""
        out = {f.name: values.get(f.name, shock_default(kind, f)) for f in fields
               if f.name != "into"}
        if out.get("organisations") is None:
            src = shock_targets(kind, next(f for f in fields if f.name == "organisations"),
                                org_list, {}) if any(f.name == "organisations" for f in fields) \
                else []
            out["organisations"] = [src[0][0]] if src else []
        return out

    def current(f: ShockField) -> Any:
        if f.name in values:
            v = values[f.name]
            if f.source == "organisations":  # keep only what the rules still allow
                allowed = {o["value"] for o in options(f)}
                v = [x for x in v if x in allowed] if isinstance(v, list) else (
                    v if v in allowed else None)
            return v
        default = shock_default(kind, f)
        if default is not None:
            return default
        opts = options(f)
        if f.kind == "choices":
            return [opts[0]["value"]] if opts else []
        if f.kind == "optional_choice":
            mode = chosen().get("mode")
            return opts[0]["value"] if mode == "merge" and opts else None
        return opts[0]["value"] if opts else None

    def set_value(name: str, v: Any) -> None:
        set_values({**values, name: v})
        set_result(None)  # the message was about the values before this change
        set_errors({k: e for k, e in errors.items() if k != name})

    def inject(moment: str) -> None:
        shock: dict[str, Any] = {"kind": kind}
        errs: dict[str, str] = {}
        for f in fields:
            v = current(f)
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
        if f.kind == "number":
            info = f.info
            hint = (f"{format_number(info.low, info.type)}–"  # type: ignore[union-attr]
                    f"{format_number(info.high, info.type)} {info.unit}")  # type: ignore[union-attr]
            solara.InputText(label=f.label, value=str(current(f)),
                             on_value=lambda t, n=f.name: set_value(n, t),
                             error=errors.get(f.name, False), message=errors.get(f.name, hint),
                             dense=True, continuous_update=True).key(f"{kind}:{f.name}")
        else:
            rv.Select(label=f.label, items=options(f), v_model=current(f),
                      multiple=f.kind == "choices", clearable=f.kind == "optional_choice",
                      on_v_model=lambda v, n=f.name: set_value(n, v), dense=True,
                      hide_details=True).key(f"{kind}:{f.name}")
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
        for label, moment in when:
            solara.Button(label, on_click=lambda m=moment: inject(m), color="error",
                          icon_name="mdi-flash", disabled=disabled)
    if result:
        (solara.Error if failed else solara.Success)(result, dense=True,
                                                     classes=["shock-result"])


# --------------------------------------------------------------------------- headings
@solara.component
def Heading(title: str, note: str = "") -> None:
    """A panel's bold title and a plain note, as text nodes (never HTML). Not
    ``solara.Markdown``: its front end loads mermaid and KaTeX (about 1 MB compressed, 4 MB
    of JavaScript to parse) into every page that shows one, for four bold labels."""
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
