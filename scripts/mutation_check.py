"""Mutation check of the model's rules: do the tests that state the rules catch a broken rule?

Each mutant is one small bug put into one rule (a comparison flipped, a term dropped, a
constant changed, a function stubbed to return its input), or the same bug put into a rule
and its per-agent twin at once (which the twin-equality oracle cannot see). The mutants are
applied one at a time to a temporary copy of the source tree taken from a commit with
``git archive`` (the worktree's files are never touched: others may be editing them), and
the fast tests are run against that copy in three stages:

1. rule-stating tests (tests that state a rule's direction and size on known inputs);
2. the other fast tests (model-level behaviour, the engine oracle, properties, scenarios);
3. the golden snapshots (which one command regenerates, so they are not a specification).

A mutant is recorded with the stage that first failed and the first test that failed in it.
Validation and browser tests are never run. Usage::

    nice .venv/bin/python scripts/mutation_check.py --commit HEAD --out docs/mutation.md
    nice .venv/bin/python scripts/mutation_check.py --list
    nice .venv/bin/python scripts/mutation_check.py --only disturb_noop,merge_keeps_progress

``--overlay PATH`` copies a path from the worktree over the archived tree (to try tests
not yet committed). Exit code 0 when every mutant could be applied and the baseline passed,
1 when the baseline failed, 2 on a bad argument or a mutant whose text is not found.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "src/diplomacy_sim/"

STAGES: dict[str, list[str]] = {
    "rule": [
        "tests/rules/test_people_rules.py",
        "tests/rules/test_shock_rules.py",
        "tests/rules",
        "tests/test_rules.py",
        "tests/test_negotiation.py",
        "tests/test_loader_bounds.py",
    ],
    "model": [
        "tests/test_model.py",
        "tests/test_property_bounds.py",
        "tests/test_properties.py",
        "tests/test_scenarios.py",
        "tests/test_moves.py",
    ],
    "golden": ["tests/test_golden.py"],
}
"""Test paths of each stage, in the order they are tried. Missing paths are skipped."""

FIRST: dict[str, list[str]] = {
    "domain/people.py": ["tests/rules/test_people_rules.py", "tests/rules/test_trust_rules.py"],
    "domain/reference.py": ["tests/rules/test_people_rules.py", "tests/rules/test_trust_rules.py"],
    "domain/shocks.py": ["tests/rules/test_shock_rules.py"],
    "domain/network.py": ["tests/rules/test_network_rules.py"],
    "domain/negotiation.py": ["tests/rules/test_negotiation_rules.py", "tests/test_negotiation.py"],
    "domain/delivery.py": ["tests/rules/test_delivery_rules.py"],
    "domain/services.py": ["tests/rules/test_service_rules.py"],
    "domain/engagement.py": ["tests/rules/test_engagement_rules.py"],
    "domain/doctrines.py": ["tests/rules/test_doctrine_rules.py"],
    "scenario/loader.py": ["tests/test_loader_bounds.py"],
    "scenario/schema.py": ["tests/test_loader_bounds.py"],
}
"""Rule-stating test files tried first for a mutant in each module (only to save time: a
mutant is killed by whichever test fails first; -x stops there)."""

STAGE_WORDS = {
    "rule": "rule-stating test",
    "model": "other fast test only",
    "golden": "golden only",
    None: "survived",
}


@dataclass(frozen=True)
class Edit:
    path: str  # relative to src/diplomacy_sim/
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    id: str
    kind: str  # flip, drop, constant, stub, twin
    what: str
    edits: tuple[Edit, ...] = field(default_factory=tuple)


def m(id: str, kind: str, what: str, *edits: tuple[str, str, str]) -> Mutant:
    return Mutant(id, kind, what, tuple(Edit(*e) for e in edits))


V, R = "domain/people.py", "domain/reference.py"

MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------ per-person rules (people.py)
    m("distance_no_half", "constant", "agenda distance loses its factor 1/2",
      (V, "return 0.5 * np.abs(a - b).sum(axis=-1)", "return np.abs(a - b).sum(axis=-1)")),
    m("openness_times_width", "flip", "openness: (anxiety - peak) * width instead of / width",
      (V, "z = (anxiety - peak) / width", "z = (anxiety - peak) * width")),
    m("influence_bound_inclusive", "flip", "influence hears a view exactly at the bound (<=)",
      (V, "w = np.where(d < eps[src], weight, 0.0)", "w = np.where(d <= eps[src], weight, 0.0)")),
    m("influence_no_self_weight", "drop", "influence: self weight dropped from the denominator",
      (V, "den = np.bincount(src, weights=w, minlength=n) + self_weight",
       "den = np.bincount(src, weights=w, minlength=n) + 1.0")),
    m("influence_no_anchor", "drop", "influence: the anchor term dropped",
      (V, "new = anchoring[:, None] * anchor + (1.0 - anchoring)[:, None] * mixed",
       "new = mixed")),
    m("influence_trust_ignored", "drop", "influence: every heard tie weighs 1 (trust ignored)",
      (V, "w = np.where(d < eps[src], weight, 0.0)", "w = np.where(d < eps[src], 1.0, 0.0)")),
    m("pull_ignores_anchoring", "drop", "identity pull ignores anchoring",
      (V, "step = ((1.0 - anchoring) * pull)[:, None]", "step = pull[:, None]")),
    m("pull_stub_twin", "twin", "identity pull returns its input, in both twins",
      (V, "    return agenda + step * (box - agenda)", "    return agenda"),
      (R, "            out[i, c] = agenda[i, c] + step * (box[i, c] - agenda[i, c])",
       "            out[i, c] = agenda[i, c]")),
    m("encounter_no_closeness", "drop", "encounter trust gain ignores closeness (1 - d)",
      (V, "up = trust + gain * channel_weight * (1.0 - dist) * (1.0 - trust)",
       "up = trust + gain * channel_weight * (1.0 - trust)")),
    m("encounter_agree_flipped", "flip", "encounters: agreement when dist > eps",
      (V, "agree = dist < eps_src", "agree = dist > eps_src")),
    m("encounter_no_friction", "drop", "clashing encounter loses the friction factor",
      (V, "down = trust - gain * friction * channel_weight * trust",
       "down = trust - gain * channel_weight * trust")),
    m("encounter_unmet_changes", "flip", "encounter rule changes trust on ties not met",
      (V, "return np.where(met, np.where(agree, up, down), trust)",
       "return np.where(agree, up, down)")),
    m("anxiety_target_unclipped", "constant", "anxiety target clipped at 2 instead of 1",
      (V, "target = np.clip(baseline + disturbance, 0.0, 1.0)",
       "target = np.clip(baseline + disturbance, 0.0, 2.0)")),
    m("anxiety_stub_twin", "twin", "anxiety update returns its input, in both twins",
      (V, "    return anxiety + rate * (target - anxiety)", "    return anxiety"),
      (R, "        out[i] = anxiety[i] + rate * (target - anxiety[i])", "        out[i] = anxiety[i]")),
    m("anxiety_no_baseline_twin", "twin", "anxiety ignores the baseline, in both twins",
      (V, "target = np.clip(baseline + disturbance, 0.0, 1.0)",
       "target = np.clip(disturbance, 0.0, 1.0)"),
      (R, "target = min(max(baseline + float(disturbance[i]), 0.0), 1.0)",
       "target = min(max(float(disturbance[i]), 0.0), 1.0)")),
    m("belief_signal_unclipped", "drop", "belief update: signals not clipped to 0..1",
      (V, "return np.clip(beliefs + rate * (np.clip(signals, 0.0, 1.0) - beliefs), 0.0, 1.0)",
       "return np.clip(beliefs + rate * (signals - beliefs), 0.0, 1.0)")),
    m("belief_rate_twice_twin", "twin", "beliefs move at twice the rate, in both twins",
      (V, "return np.clip(beliefs + rate * (np.clip(signals, 0.0, 1.0) - beliefs), 0.0, 1.0)",
       "return np.clip(beliefs + 2 * rate * (np.clip(signals, 0.0, 1.0) - beliefs), 0.0, 1.0)"),
      (R, "out[i, b] = min(max(beliefs[i, b] + rate * (s - beliefs[i, b]), 0.0), 1.0)",
       "out[i, b] = min(max(beliefs[i, b] + 2 * rate * (s - beliefs[i, b]), 0.0), 1.0)")),
    m("no_tie_default_twin", "twin", "no-tie default 0.5 -> 0.0, in both twins",
      (V, "return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.5)",
       "return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)"),
      (R, "return np.array([num[i] / den[i] if den[i] > 0 else 0.5 for i in range(n)])",
       "return np.array([num[i] / den[i] if den[i] > 0 else 0.0 for i in range(n)])")),
    m("commitment_unweighted", "drop", "others' commitment not weighted by trust",
      (V, "num = np.bincount(src, weights=trust * commitment[dst], minlength=n)\n"
          "    den = np.bincount(src, weights=trust, minlength=n)",
       "num = np.bincount(src, weights=commitment[dst], minlength=n)\n"
       "    den = np.bincount(src, minlength=n).astype(float)")),
    m("strain_stub_twin", "twin", "strain update returns its input, in both twins",
      (V, "    return np.clip(s, 0.0, 1.0)\n\n\ndef org_sums", "    return strain\n\n\ndef org_sums"),
      (R, "        out[i] = min(max(s, 0.0), 1.0)\n    return out\n\n\ndef org_sums",
       "        out[i] = strain[i]\n    return out\n\n\ndef org_sums")),
    m("strain_no_anxiety_twin", "twin", "strain ignores anxiety, in both twins",
      (V, "s = strain + gain * unproductive + anxiety_strain * gain * anxiety - recovery * strain",
       "s = strain + gain * unproductive - recovery * strain"),
      (R, "s = (strain[i] + gain * unproductive[i] + anxiety_strain * gain * anxiety[i]",
       "s = (strain[i] + gain * unproductive[i]")),
    m("strain_recovery_sign", "flip", "rest adds strain instead of removing it",
      (V, "s = strain + gain * unproductive + anxiety_strain * gain * anxiety - recovery * strain",
       "s = strain + gain * unproductive + anxiety_strain * gain * anxiety + recovery * strain")),
    m("org_sums_unweighted", "drop", "organisation sums ignore the member weights",
      (V, "return np.bincount(org, weights=weight * values, minlength=m), den",
       "return np.bincount(org, weights=values, minlength=m), den")),
    m("pair_sums_count_trust", "flip", "tie count replaced by trust sum",
      (V, "den = np.bincount(key, minlength=m * m).reshape(m, m).astype(float)",
       "den = np.bincount(key, weights=trust, minlength=m * m).reshape(m, m)")),
    # ------------------------------------------------------------ shocks
    m("disturb_noop", "stub", "disturb does nothing",
      ("domain/shocks.py",
       "    o = state.orgs\n"
       "    o.disturbance[:] = np.clip(o.disturbance + ripple * intensity * 0.5, 0.0, 1.0)\n"
       "    o.disturbance[orgs] = np.clip(o.disturbance[orgs] + intensity, 0.0, 1.0)",
       "    return None")),
    m("disturb_full_ripple", "constant", "ripple lands at full rather than half strength",
      ("domain/shocks.py", "o.disturbance + ripple * intensity * 0.5, 0.0, 1.0)",
       "o.disturbance + ripple * intensity, 0.0, 1.0)")),
    m("merge_keeps_progress", "constant", "a merge keeps all progress (x1 not x0.5)",
      ("domain/shocks.py", "ini.progress[q] *= 0.5", "ini.progress[q] *= 1.0")),
    m("merge_keeps_stage", "drop", "a merged deal is not sent back to negotiation",
      ("domain/shocks.py", "            ini.stage[q] = Stage.NEGOTIATING\n", "")),
    m("merge_identity_kept", "constant", "merged identity not weakened (x1 not x0.7)",
      ("domain/shocks.py", "o.identity[into] = float(o.identity[members].mean()) * 0.7",
       "o.identity[into] = float(o.identity[members].mean())")),
    m("merge_authority_mean", "flip", "merged authority is the mean, not the max",
      ("domain/shocks.py", "o.authority[into] = float(o.authority[members].max())",
       "o.authority[into] = float(o.authority[members].mean())")),
    m("cut_no_grant_knock_on", "drop", "a funder's cut does not reach its grantees",
      ("domain/shocks.py", "cut = o.grant_share[g] * o.budget0[g] * fall",
       "cut = 0.0 * o.grant_share[g] * o.budget0[g] * fall")),
    m("cut_fraction_inverted", "flip", "a cut keeps the fraction instead of removing it",
      ("domain/shocks.py", "o.budget[h] *= 1.0 - spec.fraction", "o.budget[h] *= spec.fraction")),
    m("turnover_newest_leaves", "flip", "the newest, not the longest-serving, executive leaves",
      ("domain/shocks.py", "leaver = int(execs[np.argmax(p.tenure[execs])])",
       "leaver = int(execs[np.argmin(p.tenure[execs])])")),
    m("mandate_full_strength", "drop", "a mandate replaces the agenda whatever its strength",
      ("domain/shocks.py", "o.agenda[h] = o.agenda[h] + spec.strength * (onehot - o.agenda[h])",
       "o.agenda[h] = onehot.copy()")),
    m("election_fraction_flipped", "flip", "an election replaces the councillors not chosen",
      ("domain/shocks.py", "out = cllrs[rng.random(cllrs.size) < spec.fraction]",
       "out = cllrs[rng.random(cllrs.size) > spec.fraction]")),
    m("cut_ties_one_way", "drop", "a cut tie survives in the reverse direction",
      ("domain/shocks.py", "gone = cut | rev", "gone = cut")),
    m("newcomer_keeps_colleague_trust", "drop", "a newcomer inherits the leaver's colleague trust",
      ("domain/shocks.py", "    t.trust[colleagues] = trust_new\n", "")),
    # ------------------------------------------------------------ network
    m("jitter_wider", "constant", "starting trust jitter +-0.2 instead of +-0.05",
      ("domain/network.py", "jitter = rng.uniform(-0.05, 0.05, size=src.size)",
       "jitter = rng.uniform(-0.2, 0.2, size=src.size)")),
    m("cross_pairs_same_org", "drop", "cross-boundary ties may join colleagues",
      ("domain/network.py", "ok = org[src] != org[dst]", "ok = org[src] >= 0")),
    m("within_degree_doubled", "constant", "colleague degree doubled",
      ("domain/network.py", "rng.poisson(mean_degree / 2.0, size=org.size)",
       "rng.poisson(mean_degree, size=org.size)")),
    # ------------------------------------------------------------ loader checks
    m("horizon_off_by_one", "flip", "a shock in week == steps accepted",
      ("scenario/loader.py", "if sh.at >= s.steps:", "if sh.at > s.steps:")),
    m("zero_agenda_accepted", "flip", "an all-zero agenda accepted",
      ("scenario/loader.py", "if sum(org.agenda.values()) <= 0:", "if sum(org.agenda.values()) < 0:")),
    m("empty_org_accepted", "flip", "an organisation with nobody accepted",
      ("scenario/loader.py", "if sum(org.people.values()) < 1:", "if sum(org.people.values()) < 0:")),
    m("grant_without_funder", "constant", "small grants accepted without a funder",
      ("scenario/loader.py", "if org.grant_share > 0 and org.funded_by is None:",
       "if org.grant_share > 0.5 and org.funded_by is None:")),
    m("scale_one_short", "constant", "scaling below one person per organisation accepted",
      ("scenario/loader.py", "    if people < sum(minimum):", "    if people < sum(minimum) - 1:")),
    m("identifier_dot_allowed", "flip", "identifiers may contain a dot",
      ("scenario/schema.py", 'pattern=r"^[a-z][a-z0-9_]*$"', 'pattern=r"^[a-z][a-z0-9_.]*$"')),
    m("productive_width_zero", "constant", "productive_width may be 0",
      ("scenario/schema.py", "0.25, 0.01, 1.0, \"anxiety\", \"Width of the productive zone\"",
       "0.25, 0.0, 1.0, \"anxiety\", \"Width of the productive zone\"")),
]


NG, DL, SV, EN = ("domain/negotiation.py", "domain/delivery.py", "domain/services.py",
                  "domain/engagement.py")

MUTANTS += [
    # ------------------------------------------------------------ trust after reviews
    m("review_no_loss_ratio", "drop", "a broken promise costs no more than a kept one earns",
      (V, "shift = np.where(v > 0, gain * v, gain * loss_ratio * v)",
       "shift = np.where(v > 0, gain * v, gain * v)")),
    m("review_no_loss_ratio_twin", "twin", "loss ratio dropped, in both twins",
      (V, "shift = np.where(v > 0, gain * v, gain * loss_ratio * v)",
       "shift = np.where(v > 0, gain * v, gain * v)"),
      (R, "shift = gain * v if v > 0 else gain * loss_ratio * v",
       "shift = gain * v if v > 0 else gain * v")),
    m("review_degree_ignored", "drop", "a partly kept promise earns as much as a kept one",
      (V, "shift = np.where(v > 0, gain * v, gain * loss_ratio * v)",
       "shift = np.where(v > 0, gain, gain * loss_ratio * v)")),
    m("logodds_linear_twin", "twin", "log-odds shift replaced by a linear step, in both twins",
      (V, "    return trust * g / (1.0 - trust + trust * g)", "    return np.clip(trust + shift, 0.0, 1.0)"),
      (R, "        out[e] = t * g / (1.0 - t + t * g)\n    return out\n\n\ndef trust_after_reviews",
       "        out[e] = min(max(t + float(shift[e]), 0.0), 1.0)\n    return out\n\n\n"
       "def trust_after_reviews")),
    # ------------------------------------------------------------ negotiation
    m("benefit_unscaled", "drop", "benefit not scaled by the top priority",
      (NG, "return (agenda @ advances) / top", "return agenda @ advances")),
    m("cost_no_poverty_floor", "drop", "a broke party's cost share weighs without limit",
      (NG, "return cost * mean / np.maximum(d, poverty_floor * mean)",
       "return cost * mean / np.maximum(d, 1e-9)")),
    m("cost_not_by_wealth", "drop", "a cost share weighs the same on rich and poor",
      (NG, "return cost * mean / np.maximum(d, poverty_floor * mean)",
       "return cost * np.ones_like(d)")),
    m("gap_includes_self", "flip", "reasons gap measured to the mean including oneself",
      (NG, "others = (a.sum(axis=0, keepdims=True) - a) / (parties.size - 1)",
       "others = a.sum(axis=0, keepdims=True) / parties.size")),
    m("confidence_sign", "flip", "distrust adds to a deal's worth",
      (NG, "return np.maximum(1.0 + weight * (others - reference), 0.0)",
       "return np.maximum(1.0 + weight * (reference - others), 0.0)")),
    m("atd_ignored", "drop", "agreeing to disagree does not set the norm aside",
      (NG, "norm = terms.consensus_norm * (1.0 - view.agree_to_disagree[parties]) \\",
       "norm = terms.consensus_norm * 1.0 \\")),
    m("value_no_belief", "drop", "a party's value ignores its belief the deal will happen",
      (NG, "return view.belief[parties] * b * conf - unit * shares - norm",
       "return b * conf - unit * shares - norm")),
    m("value_no_cost", "drop", "a party's value ignores its cost share",
      (NG, "return view.belief[parties] * b * conf - unit * shares - norm",
       "return view.belief[parties] * b * conf - norm")),
    m("concession_inverted", "flip", "boulware and conceder swapped (t^e for t^(1/e))",
      (NG, "return np.maximum(u_max, 0.0) * (1.0 - t ** (1.0 / exponent))",
       "return np.maximum(u_max, 0.0) * (1.0 - t ** exponent)")),
    m("reservation_unclipped", "drop", "a worthless deal reserves a negative value",
      (NG, "return np.maximum(u_max, 0.0) * (1.0 - t ** (1.0 / exponent))",
       "return u_max * (1.0 - t ** (1.0 / exponent))")),
    m("compliance_grievance_sign", "flip", "grievance raises compliance",
      (NG, "+ terms.compliance_utility * utility - terms.compliance_grievance * grievance)",
       "+ terms.compliance_utility * utility + terms.compliance_grievance * grievance)")),
    m("compliance_logistic_flipped", "flip", "compliance falls with the authority gap",
      (NG, "    return 1.0 / (1.0 + np.exp(-z))", "    return 1.0 / (1.0 + np.exp(z))")),
    m("proposer_keeps_surplus", "drop", "the proposer gives none of its own surplus",
      (NG, "    absorb[proposer] = surplus[proposer]\n", "")),
    m("ceding_ignores_skill", "drop", "ceding ignores diplomatic skill",
      (NG, "absorb = ceding_rate * skill * cede * surplus", "absorb = ceding_rate * cede * surplus")),
    m("accept_negative_value", "drop", "a party accepts a deal worth less than nothing",
      (NG, "    accept = (u >= reserve - 1e-12) & (u >= 0.0)\n", "    accept = u >= reserve - 1e-12\n")),
    m("atd_flag_always", "drop", "every agreement recorded as agreeing to disagree",
      (NG, "atd = differ and bool((view.agree_to_disagree[parties] > 0).any())", "atd = True")),
    m("mandate_full_authority", "drop", "a mandate adds its boost whatever authority is lacking",
      (NG, "return authority + boost * (1.0 - authority) * mandate",
       "return authority + boost * mandate")),
    m("drive_ignores_belief", "drop", "the drive to propose ignores belief",
      (NG, "return min(base * joint_share * (belief_base + belief) * (1.0 + hubris), 1.0)",
       "return min(base * joint_share * belief_base * (1.0 + hubris), 1.0)")),
    # ------------------------------------------------------------ delivery
    m("box_no_pressure", "drop", "the regulator's target does not tilt the box",
      (DL, "out[rows, target[has]] += pressure[has]", "out[rows, target[has]] += 0.0")),
    m("attention_load_linear", "constant", "attention split by load, not its square root",
      (DL, "/ np.sqrt(np.maximum(load, 1))", "/ np.maximum(load, 1)")),
    m("will_floor_added", "drop", "will = floor + commitment (not floor + (1 - floor) x)",
      (DL, "will = will_floor + (1.0 - will_floor) * commitment[parties]",
       "will = will_floor + commitment[parties]")),
    m("effort_no_joint_share", "drop", "effort ignores the share given to joint work",
      (DL, "e = own_value * will * attention[parties] * capacity[parties] * joint_share[parties]",
       "e = own_value * will * attention[parties] * capacity[parties]")),
    m("size_ignored", "drop", "a bigger initiative takes no longer",
      (DL, "* (1.0 + frontline_boost * frontline_trust) / size)",
       "* (1.0 + frontline_boost * frontline_trust))")),
    m("frontline_boost_dropped", "drop", "frontline trust gives no extra progress",
      (DL, "* (1.0 + frontline_boost * frontline_trust) / size)", "/ size)")),
    m("promise_no_floor", "drop", "a promise may be below the smallest allowed",
      (DL, "return np.maximum(effort, floor)", "return effort")),
    m("keeping_uncapped", "drop", "effort above the promise counts above full keeping",
      (DL, "r = np.minimum(effort / np.maximum(promised, 1e-12), 1.0)",
       "r = effort / np.maximum(promised, 1e-12)")),
    m("keeping_below_unscaled", "drop", "below the neutral share, breaking is not scaled",
      (DL, "(r - tolerance) / (1.0 - tolerance), (r - tolerance) / tolerance)",
       "(r - tolerance) / (1.0 - tolerance), r - tolerance)")),
    m("upkeep_absent_count", "drop", "absent parties still give upkeep",
      (DL, "r = effort / np.maximum(promised, 1e-12) * present",
       "r = effort / np.maximum(promised, 1e-12)")),
    m("live_progress_stub", "stub", "live work keeps its progress whatever its upkeep",
      (DL, "return progress + rate * (kept_up - progress)", "return progress")),
    m("unproductive_inclusive", "flip", "a board exactly at the pace counts as unproductive",
      (DL, "return done < pace * expected", "return done <= pace * expected")),
    # ------------------------------------------------------------ services
    m("winter_trough", "flip", "demand lowest at the winter peak",
      (SV, "return 1.0 + amplitude * math.cos(", "return 1.0 - amplitude * math.cos(")),
    m("joint_no_lag", "drop", "joint work reaches the flows at once",
      (SV, "return joint + (target - joint) / lag", "return target")),
    m("share_ignores_demand", "drop", "share of need met ignores demand",
      (SV, "return 1.0 - np.exp(-supply / (demand_ratio * saturation))",
       "return 1.0 - np.exp(-supply / saturation)")),
    m("queue_keeps_the_met", "flip", "the queue keeps the share the services take",
      (SV, "return (waiting + inflow) * (1.0 - share)", "return (waiting + inflow) * share")),
    m("capacity_ignores_staff", "drop", "care capacity ignores staff",
      (SV, "num = (w * (np.minimum(money, people) * alive)[:, None]).sum(axis=0)",
       "num = (w * (money * alive)[:, None]).sum(axis=0)")),
    m("staff_no_absence", "drop", "strain causes no absence",
      (SV, "weights=doer * (1.0 - strain_absence * p.strain)", "weights=doer * 1.0")),
    # ------------------------------------------------------------ engagement
    m("informal_no_base", "drop", "informal use is nothing without risk tolerance",
      (EN, "return min(rate * doctrine_factor * (base + risk_tolerance), 1.0)",
       "return min(rate * doctrine_factor * risk_tolerance, 1.0)")),
    m("possibility_no_floor", "drop", "what is possible starts from nothing",
      (EN, "return floor + (1.0 - floor) * progress", "return progress")),
    m("pressure_no_mandate", "drop", "a mandate adds no pressure",
      (EN, "return np.clip(target_pressure * gain * (1.0 - met) + mandate, 0.0, 1.0)",
       "return np.clip(target_pressure * gain * (1.0 - met), 0.0, 1.0)")),
    m("courting_by_the_cold", "drop", "cold organisations court as well",
      (EN, "by = np.flatnonzero((court >= 0) & engaged)", "by = np.flatnonzero(court >= 0)")),
    m("courted_once", "constant", "contacts do not compound",
      (EN, "return 1.0 - (1.0 - rate) ** contacts", "return rate")),
]


DC = "domain/doctrines.py"

MUTANTS += [
    # ------------------------------------------------------------ doctrines as policies
    m("lead_least_authoritative", "flip", "the least authoritative organisation leads",
      (DC, "lead = int(np.argmax(np.where(alive, authority, -1.0)))\n        own = benefit",
       "lead = int(np.argmin(np.where(alive, authority, 2.0)))\n        own = benefit")),
    m("lead_proposes_any_work", "drop", "the lead proposes work it is not a party to",
      (DC, "pick = np.flatnonzero(mine) if mine.any() else np.arange(candidates.size)",
       "pick = np.arange(candidates.size)")),
    m("neglect_ignored", "drop", "diplomats do not weigh how long a partner was ignored",
      (DC, "value = (serves * (1.0 + neglect)).max(axis=1)", "value = serves.max(axis=1)")),
    m("court_least_waiting", "flip", "diplomats court the partner left waiting least",
      (DC, "target = int(cold[np.argmax(ignored_weeks[cold])])",
       "target = int(cold[np.argmin(ignored_weeks[cold])])")),
    m("cold_court_too", "drop", "cold organisations court as well",
      (DC, "    out[warm] = target\n", "    out[alive] = target\n")),
    m("joint_share_full", "constant", "every doctrine gives joint work its full share",
      (DC, "d.joint_share = np.full(m, doctrine.joint_share)", "d.joint_share = np.full(m, 1.0)")),
    m("hold_one_week_long", "flip", "a participant's decision holds one week past its end",
      (DC, "return self.held_until[name] > week", "return self.held_until[name] >= week")),
]


MD = "model/model.py"

MUTANTS += [
    # ------------------------------------------------------------ the rules' wiring in the model
    m("disturbance_never_fades", "drop", "the model never decays disturbance",
      (MD, "        o.disturbance *= 1.0 - af.disturbance_decay\n", "")),
    m("distraction_not_felt", "drop", "a reorganisation's distraction adds no disturbance",
      (MD, "disturbance = o.disturbance[p.org] + af.distraction_disturbance * (o.distraction[p.org] > 0)",
       "disturbance = o.disturbance[p.org]")),
    m("anxiety_rate_swapped", "flip", "anxiety follows disturbance at the belief rate",
      (MD, "p.anxiety = self.rules.anxiety_update(p.anxiety, disturbance, af.anxiety_baseline,\n"
           "                                              af.anxiety_rate)",
       "p.anxiety = self.rules.anxiety_update(p.anxiety, disturbance, af.anxiety_baseline,\n"
       "                                              af.belief_rate)")),
]


MUTANTS += [
    m("anxious_below_peak_twin", "twin", "anxiety below the peak also adds anchoring, both twins",
      (V, "over = np.clip(anxiety - peak, 0.0, None)", "over = np.abs(anxiety - peak)"),
      (R, "over = max(float(anxiety[i]) - peak, 0.0)", "over = abs(float(anxiety[i]) - peak)")),
    m("anxious_anchoring_unscaled", "drop", "anxious anchoring ignores the headroom (1 - a)",
      (V, "return anchoring + (1.0 - anchoring) * np.clip(rate * over, 0.0, 1.0)",
       "return np.clip(anchoring + rate * over, 0.0, 1.0)")),
    m("commitment_no_strain", "drop", "strain does not lower commitment",
      (DL, "return np.sqrt(beliefs[:, 1] * beliefs[:, 2]) * (1.0 - strain)",
       "return np.sqrt(beliefs[:, 1] * beliefs[:, 2])")),
    m("spare_capacity_unclipped", "drop", "spare capacity may exceed what it was",
      (DL, "return np.clip(discretionary / before, 0.0, 1.0)", "return discretionary / before")),
    m("fail_ignores_tolerance", "drop", "risk tolerance does not protect experiments",
      (DL, "return hubris * (1.0 - risk_tolerance)", "return hubris")),
]


# --------------------------------------------------------------------------- running
def archive(commit: str, dest: Path) -> str:
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], check=True,
                         capture_output=True, text=True).stdout.strip()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha], check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(dest, filter="data")
    return sha


def snapshot(dest: Path) -> str:
    """Copy the worktree as it is now (uncommitted edits included), to preview a check."""
    for part in ("src", "tests", "scenarios", "experiments", "pyproject.toml"):
        overlay(dest, [part])
    return "worktree"


def overlay(tree: Path, paths: list[str]) -> None:
    for rel in paths:
        src, dst = ROOT / rel, tree / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
                "__pycache__", ".hypothesis", "*.egg-info"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


PRELOAD = ("numpy", "scipy.sparse", "scipy.stats", "pandas", "pydantic", "yaml", "networkx",
           "mesa")
"""Libraries a test server imports once; each test run is a fork of it (the package under
test is never imported by the server, so every fork imports the mutated files afresh)."""


def _clean_env(tree: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "HYPOTHESIS"))}
    # one thread per library: the server forks, and a fork of a threaded process may hang
    env.update(PYTHONDONTWRITEBYTECODE="1", CI="true", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if tree is not None:
        env["PYTHONPATH"] = str(tree / "src")
    return env


def serve() -> int:
    """``--serve``: preload libraries, then run each job (one JSON line on stdin) in a fork.

    A job is ``{"cwd": tree, "args": [pytest args], "out": file, "timeout": s}``; the answer
    is ``{"code": exit code}`` (negative: killed by that signal, e.g. the timeout's alarm).
    """
    import importlib
    import json
    import signal
    import traceback

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    assert "diplomacy_sim" not in sys.modules, "the server must not import the package"
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: run pytest on the tree, never return
            code = 99
            try:
                fd = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.chdir(job["cwd"])
                sys.path.insert(0, os.path.join(job["cwd"], "src"))
                sys.dont_write_bytecode = True
                signal.alarm(int(job["timeout"]))
                import diplomacy_sim

                here = os.path.realpath(diplomacy_sim.__file__)
                if not here.startswith(os.path.realpath(job["cwd"])):
                    print(f"imported the wrong package: {here}")
                    os._exit(98)
                import pytest

                code = int(pytest.main(job["args"]))
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


class Server:
    """A long-lived ``--serve`` process for one tree (its forks run the tests)."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"], cwd=tree,
            env=_clean_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, args: list[str], timeout: float) -> tuple[int, str]:
        import json

        out = self.tree.parent / f"{self.tree.name}.out"
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"cwd": str(self.tree), "args": args, "out": str(out), "timeout": timeout}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the test server stopped")
        return int(json.loads(answer)["code"]), out.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


SERVERS: dict[Path, Server] = {}


def run_stage(tree: Path, stage: str, timeout: float, first: list[str] | None = None,
              only_first: bool = False) -> tuple[bool, str, float]:
    """(passed, first failing test or reason, seconds) for one stage on the tree.

    ``first``: test files tried before the rest; with ``only_first``, only those (all of
    them belong to the stage, so a failure there is a failure of the stage).
    """
    files = []  # file arguments only: given a folder, pytest would collect it in its own order
    for p in [*(first or []), *([] if only_first else STAGES[stage])]:
        where = tree / p
        files += [str(f.relative_to(tree)) for f in sorted(where.rglob("test_*.py"))] \
            if where.is_dir() else ([p] if where.exists() else [])
    paths = list(dict.fromkeys(files))
    args = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not validation and not browser", *paths]
    t0 = time.perf_counter()
    if tree in SERVERS:
        code, text = SERVERS[tree].run(args, timeout)
        if code < 0:
            return False, f"(timed out after {timeout:.0f} s)", time.perf_counter() - t0
    else:
        try:
            out = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=tree,
                                 env=_clean_env(tree), capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"(timed out after {timeout:.0f} s)", time.perf_counter() - t0
        code, text = out.returncode, out.stdout + out.stderr
    secs = time.perf_counter() - t0
    if code == 0:
        return True, "", secs
    if code == 98:
        raise RuntimeError(f"the tests imported the wrong package: {text.strip()}")
    hit = re.search(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
    if hit:
        return False, hit.group(1), secs
    if code == 5:  # no tests collected: not a kill
        return True, "", secs
    last = [ln for ln in text.strip().splitlines() if ln.strip()][-1:] or ["?"]
    return False, f"(pytest exit {code}: {last[0][:80]})", secs


def line_of(text: str, old: str) -> int:
    return text[: text.index(old)].count("\n") + 1


def apply(tree: Path, mut: Mutant) -> dict[Path, str]:
    """Apply a mutant's edits; return the original texts to restore."""
    originals: dict[Path, str] = {}
    for e in mut.edits:
        path = tree / PKG / e.path
        text = originals.get(path) or path.read_text(encoding="utf-8")
        originals.setdefault(path, text)
        current = path.read_text(encoding="utf-8")
        n = current.count(e.old)
        if n != 1:
            raise LookupError(f"{mut.id}: expected the text once in {e.path}, found it {n} times")
        path.write_text(current.replace(e.old, e.new), encoding="utf-8")
    return originals


def locations(tree: Path, mut: Mutant) -> str:
    out = []
    for e in mut.edits:
        text = (tree / PKG / e.path).read_text(encoding="utf-8")
        out.append(f"{e.path}:{line_of(text, e.old)}" if e.old in text else f"{e.path}:?")
    return ", ".join(out)


def run_mutant(tree: Path, mu: Mutant, timeout: float) -> dict[str, str]:
    """Apply one mutant to the tree, run the stages until one fails, restore the tree."""
    where = locations(tree, mu)
    originals = apply(tree, mu)
    killed_by, test, spent = None, "", 0.0
    try:
        first = [f for e in mu.edits for f in FIRST.get(e.path, [])]
        for stage in STAGES:
            ok, secs = True, 0.0
            if stage == "rule" and first:  # the module's own rule tests alone: quick to collect
                ok, why, secs = run_stage(tree, stage, timeout, first, only_first=True)
                spent += secs
            if ok:
                ok, why, secs = run_stage(tree, stage, timeout, first if stage == "rule" else None)
                spent += secs
            if not ok:
                killed_by, test = stage, why
                break
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
    return {"id": mu.id, "kind": mu.kind, "what": mu.what, "where": where,
            "stage": killed_by or "", "test": test, "seconds": f"{spent:.1f}"}


def check(commit: str, only: set[str] | None, overlays: list[str], timeout: float,
          jobs: int = 1, fork: bool = True, log=print) -> tuple[str, list[dict[str, str]], dict[str, float]]:
    chosen = [mu for mu in MUTANTS if only is None or mu.id in only]
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        trees = [Path(tmp) / f"tree{j}" for j in range(max(jobs, 1))]
        if commit == "WORKTREE":
            sha = snapshot(trees[0])
        elif Path(commit).is_dir():  # a prepared tree (a preview): copied, never touched
            shutil.copytree(commit, trees[0], ignore=shutil.ignore_patterns("__pycache__"))
            sha = "tree " + commit
        else:
            sha = archive(commit, trees[0])
        overlay(trees[0], overlays)
        missing = [f"{mu.id} ({e.path})" for mu in chosen for e in mu.edits
                   if (trees[0] / PKG / e.path).read_text(encoding="utf-8").count(e.old) != 1]
        if missing:
            raise LookupError("mutant text not found exactly once: " + "; ".join(missing))
        if fork:
            SERVERS[trees[0]] = Server(trees[0])
        timing: dict[str, float] = {}
        for stage in STAGES:
            ok, why, secs = run_stage(trees[0], stage, timeout)
            timing[stage] = secs
            log(f"baseline {stage}: {'pass' if ok else 'FAIL ' + why} ({secs:.1f} s)")
            if not ok:
                raise RuntimeError(f"baseline stage {stage} fails on {sha[:10]}: {why}")
        for t in trees[1:]:
            shutil.copytree(trees[0], t)
        if fork:
            for t in trees[1:]:
                SERVERS[t] = Server(t)
        rows: list[dict[str, str] | None] = [None] * len(chosen)
        done = [0]

        def worker(j: int) -> None:
            for n in range(j, len(chosen), len(trees)):
                row = run_mutant(trees[j], chosen[n], timeout)
                rows[n] = row
                done[0] += 1
                log(f"[{done[0]}/{len(chosen)}] {row['id']}: "
                    f"{STAGE_WORDS[row['stage'] or None]} {row['test']} ({row['seconds']} s)")

        try:
            with ThreadPoolExecutor(max_workers=len(trees)) as pool:
                for f in [pool.submit(worker, j) for j in range(len(trees))]:
                    f.result()
        finally:
            for t in trees:
                server = SERVERS.pop(t, None)
                if server is not None:
                    server.close()
    return sha, [r for r in rows if r is not None], timing


# --------------------------------------------------------------------------- report
def report(sha: str, rows: list[dict[str, str]], timing: dict[str, float]) -> str:
    n = len(rows)
    count = {s: sum(r["stage"] == (s or "") for r in rows) for s in ("rule", "model", "golden", None)}
    pct = {s: 100.0 * c / n if n else 0.0 for s, c in count.items()}
    lines = [
        "# Mutation check of the rules",
        "",
        "Generated by `scripts/mutation_check.py` (do not edit by hand; re-run it). Each mutant",
        "is one bug put into one rule (or the same bug into a rule and its per-agent twin), applied",
        "alone to a temporary copy of the tree at the commit below; the fast tests then run in",
        "three stages, and the mutant is recorded with the first stage, and first test, to fail:",
        "",
        "1. **rule-stating tests**: " + ", ".join(f"`{p}`" for p in STAGES.get("rule", [])) + ";",
        "2. **other fast tests**: " + ", ".join(f"`{p}`" for p in STAGES.get("model", [])) + ";",
        "3. **golden snapshots**: `tests/test_golden.py` (regenerated by one command, so a kill",
        "   there alone means no test states the rule).",
        "",
        f"Commit `{sha[:12]}`; {n} mutants. Baseline run times (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in timing.items()) + ".",
        "",
        "| outcome | mutants | share |",
        "|---|---:|---:|",
    ]
    for s in ("rule", "model", "golden", None):
        lines.append(f"| {STAGE_WORDS[s]} | {count[s]} | {pct[s]:.0f}% |")
    lines += [
        "",
        f"**Killed by a rule-stating test: {count['rule']} of {n} ({pct['rule']:.0f}%)**; "
        f"killed only by golden: {count['golden']} ({pct['golden']:.0f}%); "
        f"survived: {count[None]}.",
        "",
        "| mutant | kind | mutation | location | killed by |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        who = f"{STAGE_WORDS[r['stage'] or None]}: `{r['test']}`" if r["stage"] else "**survived**"
        if r["test"].startswith("(timed out"):
            who += " (a timeout, not a failed assertion)"
        lines.append(f"| `{r['id']}` | {r['kind']} | {r['what']} | `{r['where']}` | {who} |")
    return "\n".join(lines) + "\n"


def rows_from_log(log: Path, commit: str) -> tuple[str, list[dict[str, str]]]:
    """Rebuild the table from a run's log (for a run stopped before it wrote its report)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], check=True,
                         capture_output=True, text=True).stdout.strip()
    words = {v: k for k, v in STAGE_WORDS.items()}
    by_id = {mu.id: mu for mu in MUTANTS}
    line = re.compile(r"^\[\d+/\d+\] (\S+): (" + "|".join(map(re.escape, words)) +
                      r") ?(.*) \(([\d.]+) s\)$")
    rows = []
    for text in log.read_text(encoding="utf-8").splitlines():
        hit = line.match(text)
        if not hit or hit.group(1) not in by_id:
            continue
        mu = by_id[hit.group(1)]
        where = []
        for e in mu.edits:
            src = subprocess.run(["git", "-C", str(ROOT), "show", f"{sha}:{PKG}{e.path}"],
                                 check=True, capture_output=True, text=True).stdout
            where.append(f"{e.path}:{line_of(src, e.old)}")
        rows.append({"id": mu.id, "kind": mu.kind, "what": mu.what, "where": ", ".join(where),
                     "stage": words[hit.group(2)] or "", "test": hit.group(3).strip(),
                     "seconds": hit.group(4)})
    order = {mu.id: n for n, mu in enumerate(MUTANTS)}
    return sha, sorted(rows, key=lambda r: order[r["id"]])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commit", default="HEAD",
                    help="commit to check (default HEAD); WORKTREE previews uncommitted files; "
                    "a directory is used as the tree")
    ap.add_argument("--out", help="write the markdown table here (e.g. docs/mutation.md)")
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--overlay", action="append", default=[],
                    help="worktree path copied over the archived tree (repeatable)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per test stage")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help="stages to run (a preview may run only `rule`)")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at once (each on its own copy)")
    ap.add_argument("--no-fork", action="store_true",
                    help="start a fresh Python for every test run (slower; no test server)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--from-log", help="write the report from a run's log (with --commit)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    a = ap.parse_args(argv)
    if a.serve:
        return serve()
    if a.list:
        for mu in MUTANTS:
            print(f"{mu.id:34} {mu.kind:9} {mu.what}")
        return 0
    if a.from_log:
        sha, rows = rows_from_log(Path(a.from_log), a.commit)
        timing = {b.group(1): float(b.group(2)) for b in re.finditer(
            r"^baseline (\w+): pass \(([\d.]+) s\)$", Path(a.from_log).read_text(), re.M)}
        text = report(sha, rows, timing)
        if a.out:
            (ROOT / a.out).write_text(text, encoding="utf-8")
        else:
            print(text)
        return 0
    only = set(a.only.split(",")) if a.only else None
    for name in [x for x in list(STAGES) if x not in a.stages.split(",")]:
        del STAGES[name]
    if only and (unknown := only - {mu.id for mu in MUTANTS}):
        print(f"unknown mutant id(s): {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
        return 2
    try:
        sha, rows, timing = check(a.commit, only, a.overlay, a.timeout, a.jobs, not a.no_fork)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    text = report(sha, rows, timing)
    if a.out:
        out = ROOT / a.out
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {a.out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
