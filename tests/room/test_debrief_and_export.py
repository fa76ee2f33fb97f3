"""The debrief names the gap to the autopilot from the log's facts; the pack is one
self-contained HTML file (inline SVG, no scripts, escaped text, A4 print) plus CSVs."""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner

from diplomacy_sim.cli import main
from diplomacy_sim.room import PermissionDenied, export_pack
from diplomacy_sim.room.debrief import outcome_gap
from diplomacy_sim.room.export import PACK_FILES

from .conftest import COUNCIL, HOSPITAL, make_session


@pytest.fixture
def played(registry):
    s = make_session(registry, roles=(HOSPITAL, COUNCIL), rounds=4)
    evil = s.room.join("<script>alert('x')</script>")
    s.room.take_role(evil, "home_first_charity.leader")
    s.tokens["evil"] = evil
    plans = [
        {HOSPITAL: [{"kind": "propose", "initiative": "housing_first"},
                    {"kind": "cede", "initiative": "housing_first", "share": 0.2}],
         COUNCIL: [{"kind": "propose", "initiative": "housing_first"}]},  # will not happen
        {"evil": [{"kind": "meet", "person_b": s.room.role_spec(COUNCIL).person}]},
        {},
        {},
    ]
    for r, plan in enumerate(plans):
        s.room.open_round(s.key)
        if r == 1:
            s.room.inject(s.key, {"kind": "budget_cut", "organisations": ["city_council"],
                                  "fraction": 0.3, "label": "=HYPERLINK(\"x\") cut"})
        for who, moves in plan.items():
            s.room.submit_moves(s.t(who), moves)
        s.room.send_message(s.t(COUNCIL), [HOSPITAL], "<img src=x onerror=alert(1)>")
        s.room.close_round(s.key)
    return s


def test_the_gap_is_named_in_words_from_the_outcomes(played):
    room = played.room
    d = room.debrief(played.key)
    gap = outcome_gap(room.model.rows, room.cf.rows)
    integ = next(g for g in gap if g["outcome"] == "integration")
    assert integ["session"] == room.model.rows[-1]["integration"]
    assert integ["autopilot"] == room.cf.rows[-1]["integration"]
    first = d["gap"][0]
    if abs(integ["difference"]) < 0.005:
        assert first.startswith("Integration ended level with the autopilot")
    else:
        side = "above" if integ["difference"] > 0 else "below"
        assert first.startswith("Integration ended ") and f" {side} the autopilot (" in first
        said = [float(x) for x in re.findall(r"\d+\.\d+", first)]
        assert said[0] == pytest.approx(abs(integ["difference"]), abs=0.006)
        assert said[1] == pytest.approx(integ["session"], abs=0.006)
        assert said[2] == pytest.approx(integ["autopilot"], abs=0.006) and said[1] != said[2]
    assert [q["question"] for q in d["kolb"]] == ["What happened?", "Why did it happen?",
                                                  "What would you do differently?"]
    assert all(q["prompts"] for q in d["kolb"])
    assert d["gap"][0] in d["kolb"][0]["prompts"]
    logs = d["decision_logs"]
    assert [r["by"] for r in logs[HOSPITAL]["rounds"]] == ["participant", "autopilot",
                                                          "autopilot", "autopilot"]
    assert all(m["ok"] for m in logs[HOSPITAL]["rounds"][0]["moves"])
    assert not logs[COUNCIL]["rounds"][0]["moves"][0]["ok"]


def test_the_pack_is_one_self_contained_escaped_html_file_with_each_move(played, tmp_path):
    room = played.room
    with pytest.raises(PermissionDenied):
        export_pack(room, tmp_path / "nope", played.t(HOSPITAL))
    paths = export_pack(room, tmp_path / "pack", played.key)
    assert [p.name for p in paths] == ["debrief.html", "moves.csv", "events.csv", "outcomes.csv"]
    html = (tmp_path / "pack" / "debrief.html").read_text()
    assert html.count("<svg") == 5 and "@page { size: A4" in html
    assert "<script" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert not re.search(r"(src|href)=\"?(http|//)", html)  # nothing fetched from outside
    assert "default-src 'none'" in html
    for rec in room.timeline:
        for m in rec["moves"]:
            if m["by"] == "participant":
                assert m["text"].replace("'", "&#x27;").replace("<", "&lt;").replace(
                    ">", "&gt;") in html
    assert room.debrief(played.key)["gap"][0] in html
    assert "onerror" not in html  # messages are not in the pack


def test_the_csvs_hold_every_move_and_event_and_never_a_formula(played, tmp_path):
    room = played.room
    pack = tmp_path / "pack"
    export_pack(room, pack, played.key)
    moves = list(csv.DictReader(io.StringIO((pack / "moves.csv").read_text())))
    assert [(m["round"], m["move"], m["happened"]) for m in moves] == [
        ("1", "propose", "yes"), ("1", "cede", "yes"), ("1", "propose", "no"),
        ("2", "meet", "yes")]
    events = list(csv.DictReader(io.StringIO((pack / "events.csv").read_text())))
    assert {e["run"] for e in events} == {"session", "autopilot"}
    assert len([e for e in events if e["run"] == "session"]) == len(room.model.events)
    raw = (pack / "events.csv").read_text() + (pack / "moves.csv").read_text()
    assert not re.search(r"(^|,)[=+@]", raw, re.M)
    outcomes = list(csv.DictReader(io.StringIO((pack / "outcomes.csv").read_text())))
    assert len(outcomes) == room.week == 52
    assert float(outcomes[-1]["autopilot_integration"]) == room.cf.rows[-1]["integration"]


def test_room_export_on_the_command_line(played, db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli-pack"
    res = runner.invoke(main, ["room", "export", played.room.code.lower(), "--out", str(out),
                               "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert (out / "debrief.html").read_text().count("<svg") == 5
    res = runner.invoke(main, ["room", "export", "NOSUCH", "--out", str(out), "--db", str(db)])
    assert res.exit_code == 2 and "no session 'NOSUCH'" in res.output
    res = runner.invoke(main, ["room", "list", "--db", str(db)])
    assert played.room.code in res.output and "Round 4 of 4" in res.output


def test_a_pack_never_overwrites_a_folder_of_other_files(played, db, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "debrief.html").write_text("my notes")
    (mine / "agenda.txt").write_text("IMPORTANT")
    res = CliRunner().invoke(main, ["room", "export", played.room.code, "--out", str(mine),
                                    "--db", str(db)])
    assert res.exit_code == 2 and "--out" in res.output and "agenda.txt" in res.output
    assert "not a debrief pack" in res.output and "Traceback" not in res.output
    assert (mine / "debrief.html").read_text() == "my notes"
    with pytest.raises(FileExistsError):
        export_pack(played.room, mine, played.key)
    assert sorted(p.name for p in mine.iterdir()) == ["agenda.txt", "debrief.html"]


@pytest.mark.parametrize("make", [
    lambda d: (d / "moves.csv").mkdir() or (d / "moves.csv" / "notes.txt").write_text("x"),
    lambda d: (d / "events.csv").write_text("my own events"),
], ids=["a folder named like a pack file", "pack-named files without a debrief"])
def test_a_pack_never_replaces_what_merely_looks_like_one(played, tmp_path, make):
    mine = tmp_path / "mine"
    mine.mkdir()
    make(mine)
    before = sorted(str(p.relative_to(mine)) for p in mine.rglob("*"))
    with pytest.raises(FileExistsError, match="not a debrief pack"):
        export_pack(played.room, mine, played.key)
    assert sorted(str(p.relative_to(mine)) for p in mine.rglob("*")) == before


def test_a_pack_is_replaced_whole_and_leaves_nothing_beside_it(played, tmp_path):
    pack = tmp_path / "pack"
    export_pack(played.room, pack, played.key)
    first = (pack / "debrief.html").read_bytes()
    export_pack(played.room, pack, played.key)
    assert (pack / "debrief.html").read_bytes() == first
    assert sorted(p.name for p in pack.iterdir()) == sorted(PACK_FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack.")]


def test_dashboard_db_option_refuses_a_file_that_is_not_a_room_database(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("shopping list " * 200)
    res = CliRunner().invoke(main, ["dashboard", "--db", str(bad)])
    assert res.exit_code == 2 and "not a usable room database" in res.output


def test_the_default_database_is_in_the_users_data_folder(monkeypatch, tmp_path):
    from diplomacy_sim.room import default_db_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "diplomacy_sim" / "rooms.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path().parts[-4:] == (".local", "share", "diplomacy_sim", "rooms.sqlite")


def test_a_branch_is_charted_with_its_parent_in_the_pack(played, registry, tmp_path):
    branch, key = registry.branch(played.room.code, played.key, 2)
    export_pack(branch, tmp_path / "pack", key)  # the page's call: the registry gives the lineage
    html = (tmp_path / "pack" / "debrief.html").read_text()
    assert f"session {played.room.code}" in html and "replayed from round 2" in html


def test_a_role_handed_on_mid_round_credits_each_person_with_what_they_did(registry):
    """Chloé goes to the balcony and sends a message, then the trainer hands her role to
    Chloé M, who makes the round's moves, and removes Chloé: the decision log names both,
    each beside what they did (it credited everything to Chloé M and named Chloé nowhere)."""
    from diplomacy_sim.room.export import pack_html

    from .conftest import CHARITY, HOSPITAL, make_session

    s = make_session(registry, rounds=3, weeks_per_round=2)
    room, key = s.room, s.key
    room.open_round(key)
    chloe = s.t(CHARITY)
    room.go_to_balcony(chloe)
    room.send_message(chloe, [HOSPITAL], "Can we talk about discharge?")
    newcomer = room.join("Chloé M")
    room.reassign(key, CHARITY, room.me(newcomer).id)
    room.remove(key, room.me(chloe).id)
    room.submit_moves(newcomer, [{"kind": "attend_board", "attend": True}])
    room.close_round(key)
    log = room.debrief(key)["decision_logs"][CHARITY]
    (first,) = log["rounds"]
    chloe_name = next(p.name for p in room.participants.values() if p.removed)
    assert first["people"] == [chloe_name, "Chloé M"] and first["balcony"]
    assert first["messages_sent"] == 1 and first["name"] == f"{chloe_name}, Chloé M"
    assert log["name"] == "Chloé M" and log["played_by"] == [chloe_name, "Chloé M"]
    html = pack_html(room, key)
    assert f"{chloe_name}, Chloé M" in html
