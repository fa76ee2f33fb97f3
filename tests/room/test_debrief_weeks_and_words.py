"""The debrief's sentences and the pack's files, checked on a session like the one a trainer
ran (seed 42, 5 rounds of 13 weeks, four shocks landed, ended while round 4 was open after
3 closed rounds): weeks read from 1 everywhere and agree between files, every shock that
landed is named, sentences end once, points are counted on moves that happened and named by
the room's labels, the printed gap is the difference of the printed values, and the rounds
said to be played are the rounds that were."""

from __future__ import annotations

import csv
import io
import random
import re
from decimal import Decimal

import pytest

from diplomacy_sim.domain.events import week_number
from diplomacy_sim.room import RoomRegistry, export_pack
from diplomacy_sim.room.debrief import LEVEL, outcome_gap, sentence, sentences

from .conftest import COUNCIL, HOSPITAL, SHELTER

WPR = 13
KEYS = ("integration", "trust", "engagement", "user_outcome", "strain")
FOLLOW_UPS = ("What did you know then", "The model's reason", "What led to it")


@pytest.fixture(scope="module")
def ended(tmp_path_factory):
    """Ana P (hospital), Chloé M (council: her only move, a proposal, does not happen) and
    Sam K (shelter: his proposal does not happen, his one meeting does); a shock injected in
    each of the first three rounds besides the scenario's own, and one more in round 4, which
    the trainer ends before closing it."""
    reg = RoomRegistry(tmp_path_factory.mktemp("ended") / "rooms.sqlite")
    room, key = reg.create("integrated_discharge", seed=42, rounds=5)
    tok = {}
    for name, role in (("Ana P", HOSPITAL), ("Chloé M", COUNCIL), ("Sam K", SHELTER)):
        tok[role] = room.join(name)
        room.take_role(tok[role], role)
    plans = [
        ({HOSPITAL: [{"kind": "propose", "initiative": "housing_first"}],
          COUNCIL: [{"kind": "propose", "initiative": "housing_first"}],
          SHELTER: [{"kind": "propose", "initiative": "housing_first"}]},
         {"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.3}),
        ({HOSPITAL: [{"kind": "meet", "person_b": 16}, {"kind": "meet", "person_b": 31},
                     {"kind": "meet", "person_b": 38}],
          SHELTER: [{"kind": "meet", "person_b": 16}]},
         {"kind": "national_mandate", "issue": "housing",
          "organisations": ["city_council", "northgate_hospital"]}),
        ({}, {"kind": "leadership_turnover", "organisation": "home_first_charity"}),
    ]
    for plan, shock in plans:
        room.open_round(key)
        room.inject(key, shock)
        for role, moves in plan.items():
            room.submit_moves(tok[role], moves)
        room.close_round(key)
    room.open_round(key)
    room.inject(key, {"kind": "budget_cut", "organisations": ["northgate_hospital"],
                      "fraction": 0.2})
    room.submit_moves(tok[HOSPITAL], [{"kind": "meet", "person_b": 16}])
    room.end(key)
    pack = tmp_path_factory.mktemp("pack") / "pack"
    export_pack(room, pack, key)
    yield room, key, pack
    reg.close()


def _prompts(d, question):
    return next(q["prompts"] for q in d["kolb"] if q["question"] == question)


def _rows(pack, name):
    return list(csv.DictReader(io.StringIO((pack / name).read_text(encoding="utf-8"))))


def test_the_session_is_the_one_described(ended):
    room, _, _ = ended
    assert (room.status, room.round, room.week, len(room.timeline)) == ("ended", 4, 39, 3)
    moves = {(m["name"], m["move"]["kind"], m["ok"]) for rec in room.timeline
             for m in rec["moves"]}
    assert moves == {("Ana P", "propose", True), ("Chloé M", "propose", False),
                     ("Sam K", "propose", False), ("Ana P", "meet", True),
                     ("Sam K", "meet", True)}
    assert len([w for w, _ in room.shock_marks() if w < room.week]) == 4


def test_every_shock_that_landed_is_named_at_the_week_people_read(ended):
    room, key, pack = ended
    d = room.debrief(key)
    said = [(int(m[1]), m[2]) for p in _prompts(d, "What happened?")
            if (m := re.fullmatch(r"Week (\d+): (.+) hit the place\.", p))]
    landed = [(w, label) for w, label in room.shock_marks() if w < room.week]
    assert said == [(week_number(w), label) for w, label in landed]
    assert [w for w, _ in said] == [1, 14, 27, 31]  # the last one injected never landed
    assert all(w >= 1 for w, _ in said)
    # the same weeks as the timeline's shocks in the pack, each inside its round's weeks
    html = (pack / "debrief.html").read_text(encoding="utf-8")
    for rec in room.timeline:
        for s in rec["shocks"]:
            assert (week_number(s["week"]), s["label"]) in said
            first, last = (rec["round"] - 1) * WPR + 1, rec["round"] * WPR
            assert f"<h3>Round {rec['round']} (weeks {first}–{last})</h3>" in html
            assert f"<b>Shock:</b> {s['label']} (week {week_number(s['week'])})" in html
            assert first <= week_number(s["week"]) <= last


@pytest.mark.parametrize("text", [
    "It did not happen", "It did not happen.", "It did not happen. ", "Why?", "Stop!",
    "and so on…", 'He said "no."', "(see the pack.)", "ends with a bracket (0.10)",
    "a list: a, b", "", "   ", "Trailing spaces   ", "on the table", "week 3",
])
def test_a_sentence_ends_with_its_punctuation_exactly_once(text):
    s = sentence(text)
    t = text.rstrip()
    assert s.startswith(t) and len(s) - len(t) in (0, 1)
    assert sentence(s) == s
    if t:
        assert re.search(r"[.!?…][\"'”’)\]]*$", s)
        assert not re.search(r"[.!?…][.!?…][\"'”’)\]]*$", s)
    joined = sentences(text, "What next?")
    assert joined.endswith("What next?") and ".." not in joined.replace("…", "")
    before = joined[: -len("What next?")].rstrip()
    assert before == "" or re.search(r"[.!?…][\"'”’)\]]*$", before)


def test_the_debriefs_sentences_never_run_together(ended):
    room, key, _ = ended
    d = room.debrief(key)
    failed = [m for rec in room.timeline for m in rec["moves"]
              if m["by"] == "participant" and not m["ok"]]
    # as recorded: each ends its sentence once (the model's reason had no full stop)
    assert failed and all(m["text"].endswith(".") and not m["text"].endswith("..")
                          for m in failed)
    why = _prompts(d, "Why did it happen?")
    for m in failed:
        assert f"{m['text']} What did you know then that the others did not?" in why
    for q in d["kolb"]:
        for p in q["prompts"]:
            assert re.search(r"[.!?…][\"'”’)\]]*$", p), p
            assert ".." not in p and ". ." not in p, p
            for follow in FOLLOW_UPS:
                for at in (m.start() for m in re.finditer(re.escape(follow), p)):
                    assert re.search(r"[.!?…][\"'”’)\]]*$", p[:at].rstrip()), p


def test_points_are_counted_on_moves_that_happened_and_named_by_the_rooms_labels(ended):
    room, key, _ = ended
    d = room.debrief(key)
    diff = _prompts(d, "What would you do differently?")
    label = {k: spec.label for k, spec in room.registry.items()}
    by_name = {p.split(":", 1)[0]: p for p in diff
               if p.split(":", 1)[0] in ("Ana P", "Chloé M", "Sam K")}
    assert set(by_name) == {"Ana P", "Chloé M", "Sam K"}
    # Chloé's only move, a proposal, did not happen: nothing of where her points went
    assert by_name["Chloé M"] == ("Chloé M: your move did not happen. What would you have "
                                  "needed to know, or whom to win over, for it to work?")
    # Sam's failed proposal cost more than his meeting, which alone happened
    assert by_name["Sam K"].startswith(
        f"Sam K: all of your points on moves that happened went on “{label['meet']}”.")
    # Ana: a proposal (2 points) and three meetings (1 point each), all happened
    assert by_name["Ana P"].startswith(f"Ana P: most of your points went on “{label['meet']}”.")
    ids = set(room.registry) | set(room.model.state.initiatives.ids) | set(
        room.model.state.orgs.ids)
    for p in diff:
        assert not any(re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", p) for k in ids), p


def _gap_cases():
    rng = random.Random(20240613)
    cases = [(0.146, 0.0949), (0.1549, 0.0951), (0.15, 0.09), (0.33949, 0.32451),
             (0.125, 0.115), (0.1, 0.2), (0.99995, 0.00005), (0.5, 0.5), (0.3, 0.304),
             (0.10049, 0.09551), (0.0, 1.0)]
    for _ in range(3000):
        s = rng.random()
        c = min(max(s + rng.choice([-1, 1]) * rng.choice([0.001, 0.01, 0.1, 1]) * rng.random(),
                    0.0), 1.0)
        cases.append((s, c))
    for _ in range(500):  # values at the rounding edges, where the roundings part
        s = round(rng.random(), 3) + rng.choice([0.00049, 0.0005, 0.00051, -0.00049])
        c = round(rng.random(), 3) + rng.choice([0.00049, 0.0005, 0.00051, -0.00049])
        cases.append((s, c))
    return cases


def _agree(s, c, k):
    """At ``k`` decimals the values read differently and the rounded gap is their difference."""
    a, b = f"{s:.{k}f}", f"{c:.{k}f}"
    return a != b and f"{abs(s - c):.{k}f}" == f"{abs(Decimal(a) - Decimal(b)):.{k}f}"


def test_the_printed_gap_is_the_difference_of_the_printed_values():
    checked = fallback = 0
    for s, c in _gap_cases():
        g = next(x for x in outcome_gap([{k: s for k in KEYS}], [{k: c for k in KEYS}])
                 if x["outcome"] == "integration")
        assert g["difference"] == s - c  # the data keeps it unrounded
        if abs(s - c) < LEVEL:
            assert g["text"] == f"Integration ended level with the autopilot ({s:.2f})"
            continue
        m = re.fullmatch(r"Integration ended (\d+\.\d+) (above|below) the autopilot "
                         r"\((\d+\.\d+) against (\d+\.\d+)\)", g["text"])
        assert m, g["text"]
        gap, side, ps, pc = m.groups()
        n = len(gap.split(".")[1])
        assert 2 <= n <= 4 and len(ps.split(".")[1]) == n == len(pc.split(".")[1])
        assert ps == f"{s:.{n}f}" and pc == f"{c:.{n}f}" and ps != pc
        assert Decimal(gap) == abs(Decimal(ps) - Decimal(pc)), g["text"]
        assert side == ("above" if s > c else "below")
        assert abs(float(gap) - abs(s - c)) <= 1.01 * 10 ** -n

        if gap == f"{abs(s - c):.{n}f}":  # the fewest decimals at which both hold
            assert _agree(s, c, n) and not any(_agree(s, c, k) for k in range(2, n))
        else:  # no number of decimals makes them agree: the printed values' difference
            fallback += 1
            assert not any(_agree(s, c, k) for k in (2, 3, 4))
            assert n == min(k for k in (2, 3, 4) if f"{s:.{k}f}" != f"{c:.{k}f}")
        checked += 1
    assert checked > 2000 and fallback > 0




def test_the_gap_a_trainer_misread_now_adds_up():
    g = outcome_gap([{k: 0.146 for k in KEYS}], [{k: 0.0949 for k in KEYS}])[0]
    assert g["text"] == "Integration ended 0.051 above the autopilot (0.146 against 0.095)"


def test_every_week_in_the_pack_reads_from_1_and_agrees_between_files(ended):
    room, _, pack = ended
    moves, events = _rows(pack, "moves.csv"), _rows(pack, "events.csv")
    outcomes = _rows(pack, "outcomes.csv")
    assert moves and events and outcomes
    assert [int(r["week"]) for r in outcomes] == list(range(1, room.week + 1))
    for r in moves + events:
        week, rnd = int(r["week"]), int(r["round"])
        assert week >= 1 and (rnd - 1) * WPR + 1 <= week <= rnd * WPR, r
    # a move that happened is the session's "move" event of the same week and round
    move_events = [(e["round"], e["week"], e["text"]) for e in events
                   if e["run"] == "session" and e["kind"] == "move"]
    for m in moves:
        if m["happened"] == "yes":
            assert any((rd, wk) == (m["round"], m["week"]) for rd, wk, _ in move_events), m
    round_one = [m for m in moves if m["round"] == "1"]
    assert round_one and {m["week"] for m in round_one} == {"1"}
    # the HTML: every round's weeks, every event's week inside its round, the chart's axis
    html = (pack / "debrief.html").read_text(encoding="utf-8")
    heads = [tuple(map(int, h)) for h in re.findall(r"<h3>Round (\d+) \(weeks (\d+)–(\d+)\)",
                                                     html)]
    assert heads == [(r, (r - 1) * WPR + 1, r * WPR) for r in (1, 2, 3)]
    for body in re.split(r"<h3>Round ", html)[1:4]:
        r = int(body.split(" ", 1)[0])
        for w in map(int, re.findall(r"<li class='muted'>Week (\d+):", body)):
            assert (r - 1) * WPR + 1 <= w <= r * WPR
    assert "weeks 0" not in html and f"rounds (R) of weeks 1–{room.week}" in html
    # the debrief page's data keeps the model's steps (the page converts them itself)
    d = room.debrief(ended[1])
    assert [(t["start_week"], t["end_week"]) for t in d["timeline"]] == [
        (0, 13), (13, 26), (26, 39)]
    assert d["shocks"] == room.shock_marks()


def test_a_session_ended_during_an_open_round_counts_only_the_rounds_played(ended):
    room, key, pack = ended
    d = room.debrief(key)
    assert (d["round"], d["rounds_played"], d["last_week_played"]) == (4, 3, 39)
    html = (pack / "debrief.html").read_text(encoding="utf-8")
    assert ("3 of 5 rounds of 13 weeks played (weeks 1–39); the session was ended while "
            "round 4 was open, and that round was not played.") in html
    assert "4 of 5 rounds" not in html
    # the charts mark the three rounds played, not the fourth that never ran
    assert html.count(">R3</text>") == 5 and ">R4</text>" not in html
    assert "<h3>Round 4" not in html
    assert {m["round"] for m in _rows(pack, "moves.csv")} == {"1", "2"}


def test_before_any_round_the_pack_says_none_was_played(tmp_path):
    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    try:
        room, key = reg.create("integrated_discharge", seed=42, rounds=5)
        d = room.debrief(key)
        assert (d["rounds_played"], d["last_week_played"]) == (0, None)
        export_pack(room, tmp_path / "pack", key)
        html = (tmp_path / "pack" / "debrief.html").read_text(encoding="utf-8")
        assert "0 of 5 rounds of 13 weeks played." in html and "(weeks" not in html
        room.open_round(key)
        export_pack(room, tmp_path / "pack", key)
        html = (tmp_path / "pack" / "debrief.html").read_text(encoding="utf-8")
        assert "0 of 5 rounds of 13 weeks played; round 1 is under way." in html
    finally:
        reg.close()
