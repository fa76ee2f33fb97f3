"""examples/mesa_solara_viz.py: the model runs in Mesa's own SolaraViz with stock components.

Rendered without a browser (``solara.render``): the page builds, Mesa's Step button steps
the model by one week, the stock plot components draw from the model's DataCollector, and
Reset makes a new model from the "Model Parameters" card. (Served for real it starts like
any Solara app: docs/mesa.md.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import solara

from diplomacy_sim import api
from diplomacy_sim.domain.outcomes import OUTCOMES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mesa_solara_viz.py"


def _example():
    spec = importlib.util.spec_from_file_location("mesa_solara_viz", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _button(rc, text: str):
    found = [b for b in rc.find(v.Btn).widgets
             if text.lower() in " ".join(str(c) for c in b.children).lower()]
    assert found, f"no {text!r} button"
    return found[0]


def test_the_example_model_is_a_shipped_place_by_name():
    ex = _example()
    m = ex.PlaceModel(place="safeguarding_hub", seed=4, doctrine="command")
    assert m.spec.name == "safeguarding_hub" and m.seed == 4 and m.spec.doctrine == "command"
    assert all(k in OUTCOMES for c in ("integration", "trust", "engagement") for k in [c])


def test_solaraviz_steps_the_model_and_plots_its_record():
    ex = _example()
    box = {}
    orig = ex.PlaceModel

    class Spy(orig):  # type: ignore[misc, valid-type]
        def __init__(self, place: str = "integrated_discharge", seed: int = 1,
                     doctrine: str = "diplomacy") -> None:  # no **kwargs: as the example's
            super().__init__(place=place, seed=seed, doctrine=doctrine)
            box.setdefault("models", []).append(self)

    ex.PlaceModel = Spy
    _, rc = solara.render(solara.AppLayout(children=[ex.Page()]), handle_error=False)
    model = box["models"][0]
    assert model.steps == 0
    _button(rc, "Step").click()
    _button(rc, "Step").click()
    assert model.steps == model.week == 2
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame.equals(api.timeseries(model).set_index("week")[list(OUTCOMES)]
                        .rename_axis(None))
    plots = rc.find(ipywidgets.Image).widgets  # Mesa's stock matplotlib plot components
    assert len(plots) == len(ex.components)
    assert all(p.value[:4] == b"\x89PNG" for p in plots)
    _button(rc, "Reset").click()
    assert len(box["models"]) >= 2 and box["models"][-1].steps == 0
    rc.close()
