"""The stored form: round trips (property-based) and refusals of damaged or forged data,
including forgeries that recompute the checksums."""

from __future__ import annotations

import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.cleanup.codec import (KNOWN_FLAGS, MAGIC, StoredMessageError, decode, encode)
from monomail.cleanup.message import BODY_TYPES, TIMEOUT_CLASSES, Message
from monomail.config.headerinfo import H_DEFAULT, H_FROM, H_USER
from monomail.rewrite.headers import HeaderField

NAME = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=":"),
               min_size=1, max_size=30)
LINE = st.text(st.characters(min_codepoint=1, max_codepoint=0xFF, blacklist_characters="\n"),
               max_size=60)
VALUE = st.lists(LINE, min_size=1, max_size=3).map(lambda parts: "\n\t".join(parts))
FLAGS = st.integers(0, 0x3FFFF).map(lambda f: f & KNOWN_FLAGS)
MFLAGS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                               blacklist_characters="?"), max_size=5)
MACRO = st.one_of(st.none(), st.sampled_from(["x", "{client_name}"[1:-1], "u"]))
FIELD = st.builds(HeaderField, NAME, VALUE, FLAGS, MFLAGS, MACRO)
MESSAGE = st.builds(
    Message, st.lists(FIELD, max_size=8), st.binary(max_size=300),
    resent=st.booleans(), delete_bcc=st.booleans(), oldstyle=st.booleans(),
    has_8bit=st.booleans(), is_mime=st.booleans(), dont_mime=st.booleans(),
    body_type=st.one_of(st.none(), st.sampled_from(BODY_TYPES)),
    hop_count=st.integers(0, 100), msgid=st.one_of(st.none(), LINE),
    priority_class=st.integers(-1000, 1000), timeout_class=st.sampled_from(TIMEOUT_CLASSES),
    size=st.integers(0, 1 << 40), errors_to=st.lists(LINE, max_size=2))


@settings(max_examples=300, deadline=None)
@given(MESSAGE)
def test_round_trip(message: Message) -> None:
    assert decode(encode(message)) == message


def sample() -> Message:
    return Message(
        [HeaderField("Return-Path", " <\x81g>", H_DEFAULT, "P"),
         HeaderField("From", " Joe \xff\x81 <joe@example.org>", H_USER | H_FROM),
         HeaderField("X-Folded", " one\n two", H_USER, "", "x")],
        b"body\x00\xff\n", has_8bit=True, msgid="<a@b>", size=40)


def reseal(data: bytes) -> bytes:
    """Recompute both checksums, as a forger who knows the format would."""
    header, _, rest = data.partition(b"\nend ")
    header += b"\n"
    head, _, body = rest.split(b"\n", 1)[1].partition(b"\n")
    length = int(head.split(b" ")[1])
    body = body[:length] if length <= len(body) else body
    return (header + b"end %08x\n" % zlib.crc32(header)
            + b"body %d %08x\n" % (len(body), zlib.crc32(body)) + body)


def test_sample_round_trip_and_reseal_is_faithful() -> None:
    data = encode(sample())
    assert decode(data) == sample() and reseal(data) == data


def test_every_truncation_and_extension_is_refused() -> None:
    data = encode(sample())
    for cut in range(len(data)):
        with pytest.raises(StoredMessageError):
            decode(data[:cut])
    with pytest.raises(StoredMessageError, match="body length"):
        decode(data + b"x")


def test_every_changed_octet_is_refused() -> None:
    data = encode(sample())
    for i in range(len(data)):
        damaged = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
        with pytest.raises(StoredMessageError):
            decode(damaged)


@pytest.mark.parametrize("old,new,reason", [
    (b"field 40100 ? ? From", b"field 80000000 ? ? From", "unknown field flags"),
    (b"field 40100 ? ? From", b"field 40100 ? ? Fr:om", "bad field name"),
    (b"field 40100 ? ? From", b"field 40100 ? ? Fr om", "field line"),
    (b"field 40000 ? x X-Folded", b"field 40000 ?? x X-Folded", "bad field conditions"),
    (b"field 40000 ? x X-Folded", b"field 40000 ? {a b} X-Folded", "field line"),
    (b"flags 8bit", b"flags 8bit,evil", "unknown envelope flag"),
    (b"timeout normal", b"timeout never", "unknown timeout class"),
    (b"hops 0", b"hops 01", "bad number"),
    (b"hops 0", b"hops -1", "bad number"),
    (b"body-type -", b"body-type 9BIT", "unknown body type"),
    (b"size 40\n", b"size 40\nsize 41\n", "repeated key"),
    (b"size 40\n", b"", "missing size"),
    (b"msgid 5\n<a@b>\n", b"shoe 5\n<a@b>\n", "unknown key"),
    (b" one\n two\n", b" one\nXtwo\n", "line break"),
    (b"msgid 5\n<a@b>", b"msgid 9\n<a@b>", "runs past"),
    (MAGIC, b"monomail-message 2\n", "version line"),
])
def test_forgeries_with_good_checksums_are_refused(old: bytes, new: bytes, reason: str) -> None:
    data = encode(sample())
    assert old in data
    with pytest.raises(StoredMessageError, match=reason):
        decode(reseal(data.replace(old, new, 1)))


def test_a_value_cannot_start_a_field_of_its_own() -> None:
    forged = sample()
    forged.fields[2].value = " x\nX-Injected: yes"
    with pytest.raises(StoredMessageError, match="line break"):
        encode(forged)
    forged.fields[2].value = " x\0y"
    with pytest.raises(StoredMessageError, match="NUL"):
        encode(forged)


def test_the_error_says_where() -> None:
    data = encode(sample())
    damaged = reseal(data.replace(b"timeout normal", b"timeout never"))
    with pytest.raises(StoredMessageError) as caught:
        decode(damaged)
    assert caught.value.offset == damaged.index(b"timeout never") + len(b"timeout never\n")
    assert re.match(r"stored message, offset \d+: unknown timeout class", str(caught.value))
