"""The structure a step derives once per change (model/structure.py) is never stale."""

from __future__ import annotations

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.model.structure import TIE_ARRAYS, PlaceStructure, TieStructure


def _arrays(obj: object) -> dict[str, object]:
    out = {}
    names = TIE_ARRAYS if isinstance(obj, TieStructure) else type(obj).__slots__  # type: ignore[attr-defined]
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray):
            out[name] = value
        elif isinstance(value, list):
            out[name] = [np.asarray(v) for v in value]
        elif hasattr(value, "__slots__") and not isinstance(value, (PlaceStructure,
                                                                      TieStructure)):
            out.update({f"{name}.{k}": v for k, v in _arrays(value).items()})
    return out


def _same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, list):
            assert len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y, strict=True)), k
        else:
            assert np.array_equal(x, y) and x.dtype == y.dtype, k  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["devolution_reorganisation", "national_body_abolition",
                                  "austerity_perfect_storm", "icb_merger"])
def test_the_kept_structure_equals_one_built_afresh_after_every_week(name):
    """Shocks (merges, abolitions, cuts, mandates), turnover and new ties change the
    structure; what the model keeps must always be what it would build now."""
    scenario = ds.load_scenario(name)
    model = ds.DiplomacyModel(scenario, seed=3)
    checked = 0
    while not model.done:
        model.step()
        kept = model._structure()
        place = PlaceStructure(model.state, model._table_roles, model.params, model.doctrine)
        fresh = TieStructure(model.state, place, model._channel_w)
        _same(_arrays(kept), _arrays(fresh))
        _same(_arrays(kept.place), _arrays(place))
        for channel in kept.degree:
            assert np.array_equal(kept.degree[channel], fresh.degree[channel])
            target = model._tie_target[:, channel - 1]
            assert np.array_equal(kept.short_of(channel, target),
                                  fresh.short_of(channel, target))
        m = model.state.orgs.m
        for frontline in (False, True):  # the org-pair keys and counts trust between orgs reads
            for a, b in zip(kept.pair_count(frontline, m), fresh.pair_count(frontline, m),
                            strict=True):
                assert np.array_equal(a, b) and a.dtype == b.dtype
        for c in list(kept.place._cells):  # the cells of the organisation means
            assert np.array_equal(kept.place.cells(c), place.cells(c))
        advances = model.state.initiatives.advances
        for key in list(kept.place._working):  # delivery's sets of initiatives
            working = np.frombuffer(key, dtype=np.int64)
            _same(_arrays(kept.place.working_set(working, advances)),
                  _arrays(place.working_set(working, advances)))
        checked += 1
    assert kept.place._cells and kept.place._working  # the kept parts were exercised
    assert checked == scenario.steps and model.events


def test_direct_edits_of_the_structure_need_structure_changed(discharge):
    model = ds.DiplomacyModel(discharge, seed=1)
    model.step()
    j = model.org_index["shelter_link"]
    model.state.orgs.alive[j] = False
    assert model._structure().place.alive_parties.all()  # still the kept one
    model.structure_changed()
    assert not model._structure().place.alive_parties.all()
