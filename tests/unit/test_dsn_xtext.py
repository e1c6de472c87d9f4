"""RFC 3461 xtext: round trips (property-based), what must be encoded, every refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monomail.dsn import xtext
from monomail.dsn.xtext import XtextError


@given(st.binary(max_size=200))
def test_bytes_round_trip(data: bytes) -> None:
    assert xtext.decode(xtext.encode(data)) == data


@given(st.text(max_size=100))
def test_text_round_trip(text: str) -> None:
    assert xtext.decode_text(xtext.encode(text)) == text


@given(st.binary(max_size=200))
def test_encoded_is_strict_xtext_in_printable_ascii(data: bytes) -> None:
    encoded = xtext.encode(data)
    assert xtext.is_xtext(encoded)
    assert all(33 <= ord(ch) <= 126 and ch != "=" for ch in encoded)


@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=50))
def test_plain_characters_stay_as_they_are(text: str) -> None:
    plain = text.replace("+", "").replace("=", "")
    assert xtext.encode(plain) == plain


@pytest.mark.parametrize("value, encoded", [
    ("a+b@example.com", "a+2Bb@example.com"),
    ("x=y", "x+3Dy"),
    ("two words", "two+20words"),
    ("tab\there", "tab+09here"),
    ("\x7f\x00", "+7F+00"),
    ("é", "+C3+A9"),
    (b"\xff", "+FF"),
    ("", ""),
])
def test_must_encode(value: str | bytes, encoded: str) -> None:
    assert xtext.encode(value) == encoded


def test_also_encodes_extra_characters() -> None:
    assert xtext.encode("a\\b(c", also="\\(") == "a+5Cb+28c"


@pytest.mark.parametrize("text, position, reason", [
    ("a+2", 1, "two hex digits"),
    ("a+", 1, "two hex digits"),
    ("+2b", 0, "upper-case"),
    ("+G0", 0, "upper-case"),
    ("a b", 1, "must be written as +XX"),
    ("a=b", 1, "must be written as +XX"),
    ("\x7f", 0, "must be written as +XX"),
    ("é", 0, "must be written as +XX"),
])
def test_strict_refusals(text: str, position: int, reason: str) -> None:
    with pytest.raises(XtextError) as info:
        xtext.decode(text)
    assert info.value.position == position
    assert reason in info.value.reason
    assert not xtext.is_xtext(text)


def test_lenient_takes_lower_case_hex_like_sendmail() -> None:
    assert xtext.decode("a+2bb", strict=False) == b"a+b"
    assert xtext.is_xtext("+2b", strict=False)
    with pytest.raises(XtextError, match="two hex digits"):
        xtext.decode("+zz", strict=False)


def test_decode_text_refuses_octets_that_are_not_utf8() -> None:
    with pytest.raises(XtextError, match="not UTF-8"):
        xtext.decode_text("+FF")


def test_error_is_a_value_error_with_the_text() -> None:
    error = XtextError("a b", 1, "why")
    assert isinstance(error, ValueError)
    assert "'a b'" in str(error) and "offset 1" in str(error)
