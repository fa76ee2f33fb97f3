"""The model in Mesa's own SolaraViz, with Mesa's stock components (docs/mesa.md).

Run it with the dashboard extra installed (Solara's front-end files in place: `make frontend`):

    .venv/bin/solara run examples/mesa_solara_viz.py --host 127.0.0.1 --port 8766 --production

Mesa's controls (Reset, Step, Play) step the model; the stock matplotlib plot components
read ``model.datacollector.get_model_vars_dataframe()``, which is the model's own outcome
record; Mesa's step counter is the model's week. Our own explorer (``diplomacy-sim
dashboard``) shows the same model with the explanations, the balcony and the moves.
"""

from __future__ import annotations

import solara
from mesa.visualization import Slider, SolaraViz, make_plot_component

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_shipped, shipped_scenarios
from diplomacy_sim.scenario.schema import MAX_SEED

DOCTRINES = ["command", "stewardship", "diplomacy", "fatalism"]


class PlaceModel(DiplomacyModel):
    """A shipped place by name, with a seed and a doctrine: the arguments SolaraViz's
    "Model Parameters" card passes when it makes a new model on Reset."""

    def __init__(self, place: str = "integrated_discharge", seed: int = 1,
                 doctrine: str = "diplomacy") -> None:
        scenario = load_shipped(place, overrides={"doctrine": doctrine})
        super().__init__(scenario, seed=int(seed))


model_params = {
    "place": {"type": "Select", "value": "integrated_discharge",
              "values": sorted(shipped_scenarios()), "label": "Place"},
    "doctrine": {"type": "Select", "value": "diplomacy", "values": DOCTRINES,
                 "label": "Doctrine"},
    "seed": Slider("Seed", 1, 0, min(MAX_SEED, 999), 1),
}

components = [
    make_plot_component(["integration", "trust", "engagement"]),
    make_plot_component({"user_outcome": "tab:green", "strain": "tab:red"}),
    make_plot_component("delayed_discharges"),
]


@solara.component
def Page() -> None:
    # One model per browser session (a module-level model would be shared by every tab).
    model = solara.use_memo(lambda: PlaceModel(), [])
    SolaraViz(model, components=components, model_params=model_params,
              name="diplomacy_sim in Mesa's SolaraViz")
