"""Display names cannot impersonate: a name that only looks like one already in the session
(confusable letters of another script, full-width or other compatibility forms, case) is
refused, and so is a name with invisible, format or control characters, a word that mixes
scripts or a stacked-up accent. Each refusal names the field and what is allowed. Names of
real people in any one script still join."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplomacy_sim.room import RoomError, RoomRegistry
from diplomacy_sim.room.room import NAME_MAX, clean_name, same_name

# (name in the session, a look-alike that must be refused as the same name)
LOOK_ALIKES = [
    ("Ana", "ａｎａ"),                      # full-width letters
    ("Ana", "ANA"),                         # case
    ("Ana Li", "Ana\u3000Li"),              # an ideographic space
    ("José", "Jose\u0301"),                 # a combining accent, not the precomposed letter
    ("coco", "\u0441\u043e\u0441\u043e"),   # "сосо": every letter Cyrillic
    ("ANA", "\u0391\u039d\u0391"),          # "ΑΝΑ": every letter Greek
    ("Ian", "lan"),                         # a capital I and a small L
    ("Sam", "Sarn"),                        # "rn" and "m"
    ("Ana", "\U0001d400na"),                # a mathematical bold A
    ("Pop", "\u03a1\u03bf\u03c1"),          # "Ρορ": every letter Greek
]
# a name that must be refused for what is in it, and the words the refusal must use
REFUSED = [
    ("Ana\u200b", "invisible or control character (U+200B ZERO WIDTH SPACE)"),
    ("A\u2060na", "invisible or control character (U+2060 WORD JOINER)"),
    ("Ana\u3164", "invisible or control character (U+1160 HANGUL JUNGSEONG FILLER)"),
    ("\u202eanA", "invisible or control character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("Ana\ufe0f", "invisible or control character (U+FE0F VARIATION SELECTOR-16)"),
    ("Ana\u034f", "invisible or control character (U+034F COMBINING GRAPHEME JOINER)"),
    ("Ana\u00ad", "invisible or control character (U+00AD SOFT HYPHEN)"),
    ("Ana\x00", "invisible or control character (U+0000"),
    ("Ana\U000e0041", "invisible or control character (U+E0041 TAG LATIN CAPITAL LETTER A)"),
    ("\u0410na", "mixes scripts in one word (“Аna”: Cyrillic and Latin)"),
    ("L\u0456", "mixes scripts in one word (“Lі”: Cyrillic and Latin)"),
    ("Mari\u03b1", "mixes scripts in one word (“Mariα”: Greek and Latin)"),
    ("A\u0308\u0308na", "repeats a combining mark on one letter"),
    ("Ana 1\u0662", "mixes digits of different number systems"),
]
# names of real people that must still join, and stay as typed (NFKC aside)
ALLOWED = ["Dee & co", "<b>Cal</b>", "José", "Zoë", "O'Brien", "Jean-Luc", "Ana Иванова",
           "田中さん", "Иван", "Ελένη", "محمد", "Ana 2", "Nguyễn Thị"]
# different people whose names must not be taken for one another
DIFFERENT = [("Ana", "Anna"), ("Ben", "Ken"), ("Ian", "Jan"), ("Ana", "Ana Li"),
             ("Иван", "Ivan"), ("Lee", "Li")]


@pytest.fixture
def room(tmp_path):
    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    room, _ = reg.create("integrated_discharge", seed=1)
    yield room
    reg.close()


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES)
def test_a_name_that_looks_like_one_in_the_session_is_refused(room, first, second):
    room.join(first)
    with pytest.raises(RoomError, match=r"already called .*look-alike letters"):
        room.join(second)
    assert len(room.participants) == 1


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES)
def test_same_name_is_symmetric_and_sees_the_look_alikes(first, second):
    assert same_name(first, second) and same_name(second, first)


@pytest.mark.parametrize(("name", "why"), REFUSED)
def test_a_name_with_invisible_or_mixed_characters_is_refused_with_the_field_and_the_rule(
        room, name, why):
    with pytest.raises(RoomError) as caught:
        room.join(name)
    text = str(caught.value)
    assert text.startswith("The name ") and why in text, text
    assert ("use letters, digits" in text or "one script" in text or "each accent once" in text
            or "use one" in text)
    assert not room.participants


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text("abcdefghij ", min_size=1, max_size=12).filter(str.strip),
       hidden=st.characters(categories=["Cf", "Cc", "Co"]),
       at=st.integers(0, 12))
def test_any_hidden_character_anywhere_in_a_name_is_refused(name, hidden, at):
    if hidden.isspace():
        return  # tabs and newlines are white space: squeezed to one space
    with pytest.raises(RoomError, match="invisible or control character"):
        clean_name(name[:at] + hidden + name[at:])


@pytest.mark.parametrize("name", ALLOWED)
def test_names_of_real_people_still_join(room, name):
    token = room.join(name)
    assert room.me(token).name == name


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_are_not_taken_for_one_another(room, a, b):
    assert not same_name(a, b)
    room.join(a)
    room.join(b)
    assert len(room.participants) == 2


def test_a_name_is_cleaned_to_its_compatibility_form_and_bounded():
    assert clean_name("  ａｎａ\t\nLi  ") == "ana Li"
    assert clean_name("Jose\u0301") == "José"
    with pytest.raises(RoomError, match=f"The name is too long: at most {NAME_MAX}"):
        clean_name("a" * (NAME_MAX + 1))
    with pytest.raises(RoomError, match="Enter a name"):
        clean_name(" \t ")


def test_a_log_written_before_these_rules_still_replays(tmp_path):
    """A name that is refused now but was stored before is rebuilt, not refused: replay never
    re-checks what the log holds."""
    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    room, _ = reg.create("integrated_discharge", seed=1)
    reg.store.append(room.code, "join", {"pid": "p1", "name": "\u0410na\u200b",
                                         "token_hash": "0" * 64}, expect=0)
    reg.close()
    again = RoomRegistry(tmp_path / "rooms.sqlite").get(room.code)
    assert again.participants["p1"].name == "\u0410na\u200b"
    with pytest.raises(RoomError, match="already called"):
        again.join("Ana")  # and it still blocks its look-alike
