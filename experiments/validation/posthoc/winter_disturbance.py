"""Post-hoc mechanism check, NOT pre-registered (docs/validation.md, face validity): do the
winters of integrated discharge raise integration through their disturbance or their demand?

Same seeds as the validation baseline (master seed 5201, replications 0-29). Run:
    .venv/bin/python experiments/validation/posthoc/winter_disturbance.py
"""

import numpy as np
from scipy import stats

from diplomacy_sim import api
from diplomacy_sim.batch.design import derive_seed
from diplomacy_sim.scenario.loader import load_scenario

BASE = load_scenario("integrated_discharge")


def means(shocks: list, seed: int) -> tuple[float, float]:
    """Mean integration and mean user outcome of one run."""
    r = api.run(BASE.model_copy(update={"shocks": shocks, "seed": seed}))
    return float(r.timeseries["integration"].mean()), float(r.timeseries["user_outcome"].mean())


def main() -> None:
    variants = {
        "winters as shipped": list(BASE.shocks),
        "winters, no disturbance (intensity 0)":
            [sh.model_copy(update={"intensity": 0.0}) for sh in BASE.shocks],
        "winters, no extra demand (multiplier 1)":
            [sh.model_copy(update={"multiplier": 1.0}) for sh in BASE.shocks],
    }
    seeds = [derive_seed(5201, rep) for rep in range(30)]
    none = np.array([means([], s) for s in seeds])
    for name, shocks in variants.items():
        d = np.array([means(shocks, s) for s in seeds]) - none
        ci = [stats.ttest_1samp(d[:, j], 0).confidence_interval() for j in (0, 1)]
        print(f"{name}: integration {d[:, 0].mean():+.4f} [{ci[0].low:+.4f}, {ci[0].high:+.4f}]"
              f"; user outcome {d[:, 1].mean():+.4f} [{ci[1].low:+.4f}, {ci[1].high:+.4f}]")


if __name__ == "__main__":
    main()
