"""A shared link or setup file restores the whole set-up (scenario, seed, doctrine, people,
parameters, shocks and week) and refuses anything else with a message naming the field."""

from __future__ import annotations

import base64
import copy
import functools
import json

import pytest
import yaml

from diplomacy_sim.dashboard import sharing
from diplomacy_sim.dashboard.session import Session, Setup, parameter_controls

CUT = {"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.3,
       "intensity": 0.3}
MERGE = {"kind": "reorganisation", "mode": "merge", "organisations": ["home_first_charity"],
         "into": "shelter_link", "tie_loss": 0.5, "leavers": 0.2, "distraction_weeks": 26,
         "intensity": 0.6}
SETUPS = [
    (Setup(), [], 0),
    (Setup(seed=7, doctrine="command"), [(3, CUT)], 6),
    (Setup(seed=11, people=40, overrides=(("parameters.trust.loss_ratio", 3.0),
                                          ("steps", 100))), [(0, MERGE), (5, CUT)], 12),
    (Setup(scenario="icb_merger", seed=2), [(2, CUT | {"organisations": ["vale_county_council"]})],
     2),
]


def _session(setup: Setup, shocks: list[tuple[int, dict]], week: int) -> Session:
    s = Session(setup)
    for at, shock in shocks:
        while s.week < at:
            s.step()
        s.inject(shock)
    while s.week < week:
        s.step()
    return s


@pytest.mark.parametrize("setup,shocks,week", SETUPS)
@pytest.mark.parametrize("way", ["link", "file"])
def test_a_shared_setup_restores_the_same_run_to_the_bit(setup, shocks, week, way):
    first = _session(setup, shocks, week)
    if way == "link":
        query = sharing.setup_query(sharing.setup_document(first))
        assert query.startswith("setup=") and len(query) < sharing.MAX_LINK_CHARS
        shared = sharing.parse_link(query.removeprefix("setup="))
    else:
        shared = sharing.parse_file(sharing.setup_yaml(first).encode())
    again = Session(Setup(scenario="safeguarding_hub"))
    sharing.restore(again, shared)
    assert again.setup == first.setup
    assert again.week == first.week == week
    assert again.injected == first.injected
    assert again.model.rows == first.model.rows
    assert [e.to_dict() for e in again.model.events] == [e.to_dict() for e in first.model.events]
    assert sharing.setup_document(again) == sharing.setup_document(first)


@functools.cache
def _shared_doc() -> str:
    return json.dumps(sharing.setup_document(_session(*SETUPS[2])))


def _doc() -> dict:
    return json.loads(_shared_doc())


BAD = [
    ("an unknown key", lambda d: d.update(script="rm -rf /"), "field `script`"),
    ("a path for a scenario", lambda d: d.update(scenario="/etc/passwd"),
     "field `scenario`: '/etc/passwd' is not a scenario of the catalogue"),
    ("a scenario file name", lambda d: d.update(scenario="../scenarios/icb_merger.yaml"),
     "field `scenario`"),
    ("another format", lambda d: d.update(format="something"), "field `format`"),
    ("another version", lambda d: d.update(version=2), "field `version`"),
    ("a negative seed", lambda d: d.update(seed=-1), "field `seed`"),
    ("a text seed", lambda d: d.update(seed="seven"), "field `seed`"),
    ("a float seed", lambda d: d.update(seed=1.5), "field `seed`"),
    ("a bool seed", lambda d: d.update(seed=True), "field `seed`"),
    ("too many people", lambda d: d.update(people=10**9), "field `people`"),
    ("an unknown doctrine", lambda d: d.update(doctrine="anarchy"), "field `doctrine`"),
    ("an unknown parameter", lambda d: d["parameters"].update({"parameters.x.y": 1}),
     "field `parameters.parameters.x.y`: not a tunable parameter"),
    ("a parameter out of bounds", lambda d: d["parameters"].update(
        {"parameters.trust.loss_ratio": 1e9}), "field `parameters.parameters.trust.loss_ratio`"),
    ("a parameter as text", lambda d: d["parameters"].update(
        {"parameters.trust.loss_ratio": "3"}), "is not a number"),
    ("parameters not a mapping", lambda d: d.update(parameters=[1, 2]), "field `parameters`"),
    ("a week past the horizon", lambda d: d.update(week=10_000), "field `week`"),
    ("a negative week", lambda d: d.update(week=-3), "field `week`"),
    ("shocks not a list", lambda d: d.update(shocks="boom"), "field `shocks`"),
    ("too many shocks", lambda d: d.update(shocks=[dict(CUT, at=0)] * 51), "at most 50"),
    ("a shock after the week", lambda d: d["shocks"].append(dict(CUT, at=20)),
     "field `shocks[2].at`"),
    ("a shock of no kind", lambda d: d["shocks"].append({"kind": "meteor", "at": 1}),
     "shocks[2]"),
    ("a shock on an unknown organisation", lambda d: d["shocks"].append(
        dict(CUT, at=1, organisations=["nobody"])), "`nobody` is not a known organisation"),
    ("a hospital merged into a charity", lambda d: d["shocks"].append(dict(
        MERGE, at=1, organisations=["northgate_hospital"], into="home_first_charity")),
     "cannot be merged into"),
    ("a shock value out of bounds", lambda d: d["shocks"].append(dict(CUT, at=1, fraction=5)),
     "fraction"),
    ("a shock not a mapping", lambda d: d["shocks"].append("cut"), "field `shocks[2]`"),
]


@pytest.mark.parametrize("what,spoil,expected", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("way", ["link", "file"])
def test_a_bad_setup_is_refused_with_the_field_and_what_is_allowed(what, spoil, expected, way):
    doc = copy.deepcopy(_doc())
    spoil(doc)
    with pytest.raises(sharing.SetupRefused) as info:
        if way == "link":
            sharing.parse_link(sharing.setup_query(doc).removeprefix("setup="))
        else:
            sharing.parse_file(yaml.safe_dump(doc).encode())
    text = "; ".join(info.value.problems)
    assert expected in text, text
    assert "Traceback" not in text and len(text) < 2000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_LINKS = [
    ("", "not a set-up"),
    ("%%%", "not a set-up link"),
    ("<script>", "not a set-up link"),
    ("a" * (sharing.MAX_LINK_CHARS + 1), "allowed: at most"),
    ("abcde", "cut short"),
    (_b64(b"\xff\xfe"), "not UTF-8"),
    (_b64(b"[1, 2, 3]"), "is not a set-up"),
    (_b64(b"{unclosed"), "not valid YAML or JSON"),
    (_b64(b"!!python/object/apply:os.system ['echo hi']"), "not valid YAML or JSON"),
    (_b64(b"&a [*a, *a]"), "not valid YAML or JSON"),
    (_b64(json.dumps({"format": "diplomacy_sim.setup"}).encode()), "field `version`"),
]


@pytest.mark.parametrize("value,expected", MALFORMED_LINKS)
def test_a_malformed_link_gives_a_clear_message(value, expected):
    with pytest.raises(sharing.SetupRefused) as info:
        sharing.parse_link(value)
    assert expected in "; ".join(info.value.problems)


def test_a_nested_or_huge_file_is_refused_by_the_bounded_reader():
    deep = ("[" * 200 + "]" * 200).encode()
    with pytest.raises(sharing.SetupRefused, match="not valid YAML"):
        sharing.parse_file(deep)
    with pytest.raises(sharing.SetupRefused, match="allowed: at most 64,000"):
        sharing.parse_file(b"#" * (sharing.MAX_DOCUMENT_BYTES + 1))


def test_every_tunable_parameter_can_be_shared():
    paths = {i.path for i in parameter_controls()}
    doc = {"format": sharing.FORMAT, "version": sharing.VERSION,
           "scenario": "integrated_discharge", "week": 0,
           "parameters": {i.path: i.default for i in parameter_controls()}}
    shared = sharing.parse_document(doc)
    assert {p for p, _ in shared.setup.overrides} == paths


class _File:
    def __init__(self, data: bytes) -> None:
        self.data, self.reads = data, []

    def read(self, n: int) -> bytes:
        self.reads.append(n)
        return self.data[:n]


def test_an_uploaded_file_is_read_as_content_only_and_its_size_checked_first():
    good = sharing.setup_yaml(_session(*SETUPS[1])).encode()
    f = _File(good)
    shared = sharing.read_upload({"name": "../../etc/passwd", "size": len(good), "file_obj": f})
    assert shared.week == 6 and shared.setup.seed == 7, "the name is never used"
    assert f.reads == [sharing.MAX_DOCUMENT_BYTES + 1]
    big = _File(b"x")
    with pytest.raises(sharing.SetupRefused, match="allowed: at most 64,000"):
        sharing.read_upload({"name": "a.yaml", "size": 10**9, "file_obj": big})
    assert big.reads == [], "a file too large is refused before it is read"
    with pytest.raises(sharing.SetupRefused, match="not a file"):
        sharing.read_upload("a.yaml")


class _Stalled:
    """A file the page said it would send and did not (or sent other than it said)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def read(self, n: int) -> bytes:
        raise self.exc


@pytest.mark.parametrize("exc", [Exception("Timeout"), Exception("File changed"),
                                 ValueError("chunk of 3 bytes, expected 100"), OSError("gone"),
                                 RuntimeError("x" * 10_000), KeyError("file_obj")], ids=repr)
def test_an_upload_that_does_not_arrive_whole_is_a_sentence_not_a_traceback(exc):
    with pytest.raises(sharing.SetupRefused, match="did not arrive whole") as refused:
        sharing.read_upload({"name": "a.yaml", "size": 100, "file_obj": _Stalled(exc)})
    assert len(str(refused.value)) < 300  # the reader's words, cut
    with pytest.raises(sharing.SetupRefused, match="did not arrive whole"):
        sharing.read_upload({"name": "a.yaml", "size": 100})  # no file at all


class _Reader(_Stalled):
    """A file drop's reader, registered with its drop zone until it is forgotten."""

    def __init__(self, data: bytes | None) -> None:
        super().__init__(Exception("Timeout"))
        self.data, self.id = data, 3
        self.widget = type("Drop", (), {})()
        self.widget.chunk_listeners = {3: self, 4: "another file's reader"}

    def read(self, n: int) -> bytes:
        return self.data if self.data is not None else super().read(n)


@pytest.mark.parametrize("data", [None, b"not: [a setup", b""], ids=["stalled", "bad", "empty"])
def test_a_read_upload_forgets_its_reader_whatever_it_found(data):
    reader = _Reader(data)
    with pytest.raises(sharing.SetupRefused):
        sharing.read_upload({"name": "a.yaml", "size": 100, "file_obj": reader})
    assert reader.widget.chunk_listeners == {4: "another file's reader"}


def test_the_share_panel_makes_the_link_of_this_moment_and_forgets_it_on_reset():
    import ipyvuetify as v
    import solara
    from explorer import render_explorer

    rc, _ = render_explorer(Setup(seed=5))
    try:
        def click(text: str) -> None:
            (b,) = [b for b in rc.find(v.Btn).widgets
                    if text in [c for c in b.children if isinstance(c, str)]]
            b.click()

        def links() -> list[str]:
            return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
                    if "share-link" in (w.unsafe_innerHTML or "")]

        click("Step")
        click("Step")
        click("Make a link")
        (html,) = links()
        query = html.split('href="?')[1].split('"')[0]
        shared = sharing.parse_link(query.removeprefix("setup="))
        assert shared.week == 2 and shared.setup.seed == 5
        click("Reset")
        assert links() == []
    finally:
        rc.close()
