"""Untrusted input, class by class: each class of bad input is refused by one mechanism, with
a message that names the file, the field and what is allowed, quickly and without a
traceback. Each class is covered by a generated family of inputs, not one example.

Hypothesis runs derandomised (the same examples every time, for CI).
"""

from __future__ import annotations

import math
import os
import re
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from diplomacy_sim.scenario.loader import (
    SCENARIO_DIR,
    ScenarioError,
    load_scenario,
    load_shipped,
    parse_override,
)
from diplomacy_sim.scenario.schema import MAX_PEOPLE
from diplomacy_sim.untrusted import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    load_yaml,
    parse_decimal,
    parse_int,
    short,
)

SMALL = SCENARIO_DIR / "safeguarding_hub.yaml"
FAST = settings(derandomize=True, max_examples=40, deadline=None,
                phases=[Phase.explicit, Phase.generate],  # no slow shrinking of big inputs
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def problems(path: Path | str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)  # the message names the file
    return info.value.problems


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HANG_S = 120.0  # a guard against a hang (a parser that never returns), not a speed check:
#               speed is measured by benchmarks/, where CPU time is compared in one run.


def without_hanging(fn):
    """Call fn in a thread; fail (rather than hang the suite) if it never returns."""
    out: list = []
    err: list[BaseException] = []

    def run():
        try:
            out.append(fn())
        except BaseException as e:  # re-raised in the test's own thread
            err.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(HANG_S)
    assert not t.is_alive(), f"did not return within {HANG_S:.0f} s"
    if err:
        raise err[0]
    return out[0]


# --------------------------------------------------------------------------- not a regular file
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    got: list[list[str]] = []
    t = threading.Thread(target=lambda: got.append(problems(fifo)), daemon=True)
    t.start()
    t.join(HANG_S)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert "named pipe (FIFO)" in got[0][0] and "allowed: a regular file" in got[0][0]


@pytest.mark.parametrize("target", ["folder", "/dev/null", "/dev/zero"])
def test_folders_and_devices_are_refused(tmp_path, target):
    path = tmp_path if target == "folder" else Path(target)
    (msg,) = without_hanging(lambda: problems(path))
    assert "allowed: a regular file" in msg


# --------------------------------------------------------------------------- size
@pytest.mark.parametrize("size", [MAX_FILE_BYTES + 1, 5 * MAX_FILE_BYTES, 50_000_000])
def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path, size):
    p = tmp_path / "big.yaml"
    with open(p, "wb") as f:
        f.write(b"name: x\n")
        f.truncate(size)  # sparse: instant to make
    (msg,) = without_hanging(lambda: problems(p))
    assert f"{size:,} bytes" in msg and f"at most {MAX_FILE_BYTES:,} bytes" in msg


# --------------------------------------------------------------------------- nesting
@settings(FAST)
@given(depth=st.integers(MAX_DEPTH + 1, 20_000), flow=st.booleans())
def test_nesting_past_the_cap_is_a_clear_error_not_a_recursion_error(tmp_path_factory, depth,
                                                                      flow):
    tmp = tmp_path_factory.mktemp("deep")
    if flow:
        text = "name: " + "[" * depth + "]" * depth + "\n"
    else:
        d = min(depth, 600)  # block style: indentation grows, so stay under the size cap
        text = "".join("  " * i + f"k{i}:\n" for i in range(d)) + "  " * d + "v\n"
    (msg,) = without_hanging(lambda: problems(write(tmp, text)))
    assert "not valid YAML" in msg and "line" in msg
    assert f"at most {MAX_DEPTH} levels" in msg


# --------------------------------------------------------------------------- aliases
@settings(FAST)
@given(width=st.integers(5, 12), levels=st.integers(6, 12), where=st.sampled_from(
    ["title", "description", "parameters", "organisations"]))
def test_an_alias_bomb_is_refused_quickly_whatever_field_it_sits_in(tmp_path_factory, width,
                                                                     levels, where):
    if width ** levels <= MAX_NODES:
        levels = 1 + int(MAX_NODES ** (1 / width)) + 6
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    data = yaml.safe_load(SMALL.read_text())
    body = yaml.safe_dump({k: v for k, v in data.items() if k != where}, sort_keys=False)
    text = "anchors:\n" + "\n".join("  " + x for x in lines) + f"\n{where}: *a{levels - 1}\n" + body
    tmp = tmp_path_factory.mktemp("bomb")
    (msg,) = without_hanging(lambda: problems(write(tmp, text)))
    assert f"at most {MAX_NODES:,}" in msg and "aliases" in msg


@settings(FAST, max_examples=15)  # each composes 20,000 values in pure Python
@given(extra=st.integers(1, 100_000), style=st.sampled_from(["flow", "block", "mapping"]),
       where=st.sampled_from(["title", "parameters", "extra"]))
def test_a_file_of_too_many_values_is_refused_as_it_is_read(tmp_path_factory, extra, style,
                                                             where):
    """Counted while the file is composed: refused at the first value past the cap (the
    position named is that value's, however many follow), not after building every value of
    a megabyte of them."""
    n = MAX_NODES + extra
    body = {"flow": "[" + ",".join(["1"] * n) + "]",
            "block": "\n" + "".join("  - 1\n" for _ in range(n)),
            "mapping": "\n" + "".join(f"  k{i}: 1\n" for i in range(n // 2 + 1))}[style]
    text = f"{where}: {body}\n" + SMALL.read_text()
    tmp = tmp_path_factory.mktemp("many")
    path = tmp / "many.yaml"
    path.write_text(text)
    if path.stat().st_size > MAX_FILE_BYTES:
        return  # the size cap refuses it first (tested above)
    (msg,) = without_hanging(lambda: problems(path))
    assert f"more than {MAX_NODES:,} values as written" in msg
    line, column = map(int, re.search(r"line (\d+), column (\d+)", msg).groups())
    # Values before the named one: the document, the key `where`, the list or mapping, then
    # the items: one per line in block style, two (key, value) per line in a mapping, one
    # per "1," in flow style after the "where: [" prefix.
    at = {"flow": 3 + (column - len(where) - 4) // 2,
          "block": 3 + line - 2,
          "mapping": 3 + 2 * (line - 2) + 1}[style]
    assert at == MAX_NODES, (style, line, column)


@pytest.mark.parametrize("written,reads", [("017", "octal: 15"),
                                           ("0x10", "hexadecimal: 16"), ("0b11", "binary: 3"),
                                           ("1:30", "base 60: 90"), ("1_000", "1000"),
                                           ("-0x1", "-1"), ("+017", "15"), ("00", "0")])
@pytest.mark.parametrize("field", ["seed", "steps", "parameters.negotiation.deadline_rounds"])
def test_whole_numbers_are_plain_decimal_only(written, reads, field):
    """YAML 1.1 reads these silently as other numbers (017 is seed 15): in a file, in --set
    and in a setup link (all read by the one YAML reader) they are refused."""
    from diplomacy_sim.scenario.loader import parse_override

    with pytest.raises(ScenarioError) as info:
        load_scenario(SMALL, overrides=dict([parse_override(f"{field}={written}")]))
    assert "not a plain whole number" in str(info.value)
    text = SMALL.read_text().replace("seed: ", f"seed: {written} #", 1)
    with pytest.raises(yaml.YAMLError, match="not a plain whole number"):
        load_yaml(text)


@pytest.mark.parametrize("written", ["1_0.5", "1:30.5", "0.2_5"])
def test_decimal_numbers_are_plain_too(written):
    with pytest.raises(yaml.YAMLError, match="not a plain number"):
        load_yaml(f"x: {written}")


@pytest.mark.parametrize("written,value", [("17", 17), ("0", 0), ("-3", -3), ("+4", 4),
                                           ("0.25", 0.25), ("2.5e-3", 0.0025), (".5", 0.5)])
def test_plain_numbers_still_read(written, value):
    assert load_yaml(f"x: {written}") == {"x": value}


@pytest.mark.parametrize("anchor", ["&a [*a]", "&a [1, [2, *a]]", "&a {x: *a}",
                                    "&a {x: [{y: *a}]}"])
def test_an_alias_inside_its_own_anchor_is_refused_at_once(tmp_path, anchor):
    """`&a [*a]` contains itself: written out it never ends (it once ate all memory)."""
    text = SMALL.read_text().rstrip() + f"\nextra: {anchor}\n"
    (msg,) = without_hanging(lambda: problems(write(tmp_path, text)))
    assert "inside its own anchor" in msg and "line" in msg


def test_a_few_aliases_are_still_fine(tmp_path):
    data = SMALL.read_text()
    text = data.replace("title:", "title: &t", 1).rstrip() + "\n"
    assert load_scenario(write(tmp_path, text)).name == load_scenario(SMALL).name


# --------------------------------------------------------------------------- duplicate keys
@settings(FAST)
@given(key=st.sampled_from(["name", "title", "steps", "doctrine", "seed"]),
       gap=st.integers(0, 5))
def test_a_duplicate_key_is_an_error_naming_both_lines(tmp_path_factory, key, gap):
    lines = SMALL.read_text().splitlines()
    if not any(x.startswith(f"{key}:") for x in lines):
        lines.insert(0, f"{key}: 1")
    first = next(i for i, x in enumerate(lines) if x.startswith(f"{key}:"))
    lines += ["# a comment"] * gap + [f"{key}: 3"]
    tmp = tmp_path_factory.mktemp("dup")
    msgs = problems(write(tmp, "\n".join(lines) + "\n"))
    assert f"duplicate key `{key}`" in msgs[0]
    assert f"first at line {first + 1}, again at line {len(lines)}" in msgs[0]


def test_duplicate_keys_deep_inside_are_found_too(tmp_path):
    text = SMALL.read_text().replace("parameters:", "parameters:\n  trust: {}\n  trust: {}", 1)
    if "parameters:" not in SMALL.read_text():
        text = SMALL.read_text() + "parameters:\n  trust: {}\n  trust: {}\n"
    assert "duplicate key `trust`" in problems(write(tmp_path, text))[0]


# --------------------------------------------------------------------------- long values
@settings(FAST)
@given(n=st.integers(1_000, 100_000), field=st.sampled_from(["name", "doctrine", "steps",
                                                              "workstreams"]))
def test_long_values_are_never_echoed_in_full(tmp_path_factory, n, field):
    data = yaml.safe_load(SMALL.read_text())
    data[field] = "x" * n
    tmp = tmp_path_factory.mktemp("long")
    msgs = without_hanging(lambda: problems(write(tmp, yaml.safe_dump(data))))
    assert all(len(m) < 600 for m in msgs), max(map(len, msgs))
    assert any(f"`{field}`" in m for m in msgs)


@settings(FAST)
@given(digits=st.integers(41, 6_000), where=st.sampled_from(["steps", "seed", "parameters"]))
def test_huge_numbers_are_refused_by_length_not_converted(tmp_path_factory, digits, where):
    data = yaml.safe_load(SMALL.read_text())
    data[where] = 7
    text = yaml.safe_dump(data).replace(f"{where}: 7", f"{where}: {'9' * digits}")
    tmp = tmp_path_factory.mktemp("num")
    (msg,) = without_hanging(lambda: problems(write(tmp, text)))
    assert f"{digits:,} characters long" in msg and "at most 40 characters" in msg


@settings(FAST)
@given(digits=st.integers(20, 40))
def test_numbers_out_of_range_are_reported_briefly(tmp_path_factory, digits):
    data = yaml.safe_load(SMALL.read_text())
    data["steps"] = int("9" * digits)
    tmp = tmp_path_factory.mktemp("range")
    (msg,) = problems(write(tmp, yaml.safe_dump(data)))
    assert "field `steps`" in msg and "allowed: a whole number from 1 to 5200" in msg
    assert len(msg) < 300


@given(value=st.one_of(st.integers(), st.text(), st.lists(st.integers(), max_size=10_000),
                       st.dictionaries(st.text(), st.text(max_size=10_000))))
@settings(derandomize=True, max_examples=60, deadline=None)
def test_short_is_always_short(value):
    assert len(short(value)) <= 80


def test_short_never_builds_the_text_of_a_huge_number():
    assert "digits" in short(10 ** 100_000)  # str() of it would raise past 4300 digits


# --------------------------------------------------------------------------- --set values
@settings(FAST)
@given(digits=st.integers(41, 6_000))
def test_a_huge_number_in_set_is_a_clear_error(digits):
    with pytest.raises(ScenarioError) as info:
        parse_override(f"steps={'1' * digits}")
    assert "characters long" in str(info.value)


@settings(FAST)
@given(depth=st.integers(MAX_DEPTH + 1, 10_000))
def test_deep_structures_in_set_are_refused(depth):
    with pytest.raises(ScenarioError) as info:
        parse_override("shocks=" + "[" * depth + "]" * depth)
    assert f"at most {MAX_DEPTH} levels" in str(info.value)


# --------------------------------------------------------------------------- page integers
UNICODE_DIGITS = ["²", "³", "١٢٣", "٣", "໒", "１２", "⁴²", "𝟙", "½", "Ⅻ", "1_000", "0x10", "1e3",
                  " ", "", "-", "+", "1.0", "١"]


@pytest.mark.parametrize("text", UNICODE_DIGITS)
def test_only_ascii_digits_make_a_whole_number(text):
    value, err = parse_int(text, 0, 10**6, "a seed")
    assert value is None and "a whole number from 0 to 1000000" in err


@settings(derandomize=True, max_examples=200, deadline=None)
@given(text=st.text(max_size=50))
def test_the_integer_parser_never_raises_and_agrees_with_ascii_int(text):
    value, err = parse_int(text, -(10**9), 10**9, "a number")
    raw = text.strip()
    if raw and all(c in "0123456789" for c in raw.lstrip("+-")) and raw.lstrip("+-") \
            and raw[1:].lstrip("0123456789") == "" and len(raw) <= 30:
        expect = int(raw)
        assert (value == expect) if -(10**9) <= expect <= 10**9 else err
    else:
        assert value is None and err


@settings(FAST)
@given(digits=st.integers(31, 20_000))
def test_very_long_numbers_are_refused_by_length(digits):
    value, err = parse_int("9" * digits, 0, 10, "a seed")
    assert value is None and f"{digits:,} characters long" in err


@settings(FAST)
@given(n=st.integers(-(10**30), -1))
def test_negative_numbers_are_out_of_range_for_a_seed(n):
    from diplomacy_sim.dashboard.session import parse_people, parse_seed

    assert parse_seed(str(n))[0] is None
    assert parse_people(str(n))[0] is None


# --------------------------------------------------------------------------- typed numbers
# what Python's float() reads that a person typing a number means no number by
NOT_NUMBERS = ["nan", "NaN", "-nan", "inf", "-Infinity", "٣", "３", "1_0", "1_000.5", "²", "½",
               "0x10", "1e", ".", "-", "", " ", "1,5", "𝟙.5", "١.٥", "1e9999", "infinity"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_only_ascii_finite_numbers_are_numbers(text):
    value, err = parse_decimal(text, -1e300, 1e300, "a share")
    assert value is None and "enter a number from" in err


@settings(derandomize=True, max_examples=300, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_number_written_out_reads_back_exactly(x):
    for text in (repr(x), f"{x:e}", f" {x!r} "):
        value, err = parse_decimal(text, -math.inf, math.inf, "a number")
        assert err is None and value == float(text)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_the_number_parser_never_raises_and_refuses_what_is_not_ascii(text):
    value, err = parse_decimal(text, 0.0, 1.0, "a share")
    assert (value is None) != (err is None)
    if not text.strip().isascii():
        assert value is None
    if err:
        assert len(err) < 200  # the text is echoed cut


# every character str.isdigit() calls a digit that is not an ASCII digit: int() refuses some
# ("²") and silently reads others ("١" as 1); a position in a `--set` path takes neither
NON_ASCII_DIGITS = [chr(c) for c in range(0x80, 0x20000) if chr(c).isdigit()]


@pytest.mark.parametrize("digits", [NON_ASCII_DIGITS[i::40] for i in range(40)])
def test_a_position_in_a_set_path_is_ascii_digits_only(digits):
    """`--set organisations.²=...`: a clear error naming the path, never a ValueError."""
    assert len(NON_ASCII_DIGITS) > 500
    for d in digits:
        with pytest.raises(ScenarioError) as info:
            load_scenario(SMALL, overrides={f"organisations.{d}.budget": 10})
        assert f"has no element `{d}`" in str(info.value), d


@settings(FAST)
@given(digits=st.integers(4, 20_000))
def test_a_long_position_in_a_set_path_is_a_clear_error(digits):
    """A position past 4,300 digits would make int() raise: the length is checked first."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(SMALL, overrides={f"organisations.{'9' * digits}.budget": 10})
    assert "has no element" in str(info.value) and len(str(info.value)) < 2000


# --------------------------------------------------------------------------- catalogue only
@pytest.mark.parametrize("value", [
    str(SMALL), "/etc/passwd", "../scenarios/safeguarding_hub", "scenarios/icb_merger.yaml",
    "safeguarding_hub.yaml", "./safeguarding_hub", "/dev/zero", "", "x" * 10_000, "\x00",
    "safeguarding_hub\n", "SAFEGUARDING_HUB",
])
def test_the_page_chooses_a_scenario_by_catalogue_name_only(value):
    with pytest.raises(ScenarioError) as info:
        load_shipped(value)
    assert "allowed: " in str(info.value) and "safeguarding_hub" in str(info.value)
    assert len(str(info.value)) < 1000


def test_catalogue_names_load():
    assert load_shipped("safeguarding_hub").name == "safeguarding_hub"


# --------------------------------------------------------------------------- people bound
@settings(FAST)
@given(people=st.integers(MAX_PEOPLE + 1, 10**9))
def test_people_past_the_one_bound_is_a_clear_error(people):
    with pytest.raises(ScenarioError) as info:
        load_scenario(SMALL, people=people)
    assert f"at most {MAX_PEOPLE:,}" in str(info.value)


@settings(derandomize=True, max_examples=8, deadline=None)
@given(people=st.sampled_from([MAX_PEOPLE, MAX_PEOPLE - 1, MAX_PEOPLE // 2, 430_000 // 5]))
def test_people_up_to_the_bound_always_scale(people):
    """The per-role bound never breaks before the total bound does."""
    s = load_scenario("integrated_discharge", people=people)
    assert s.n_people == people


# --------------------------------------------------------------------------- funded_by
def test_an_organisation_cannot_fund_itself(tmp_path):
    data = yaml.safe_load(SMALL.read_text())
    for i, org in enumerate(data["organisations"]):
        data["organisations"][i] = {**org, "funded_by": org["id"]}
    msgs = problems(write(tmp_path, yaml.safe_dump(data)))
    assert len([m for m in msgs if "cannot fund itself" in m]) == len(data["organisations"])
