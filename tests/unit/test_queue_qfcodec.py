"""Control file codec: round trips (property-based) and every refusal, with its line number."""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.queue import qfcodec
from monomail.queue.qfcodec import (ControlFile, Controller, Envelope, QueueFileError,
                                    Recipient, RecipientState, decode, encode)

QID = "6AP3HY1D031232"

# ------------------------------------------------------------------ strategies

printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
address = printable.filter(lambda s: "<" not in s and ">" not in s)
xtext = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)
notify = st.one_of(st.just(()), st.just(("NEVER",)),
                   st.lists(st.sampled_from(qfcodec.NOTIFY_VALUES), unique=True, min_size=1)
                   .map(tuple))
status = st.builds(lambda c, a, b: f"{c}.{a}.{b}", st.sampled_from("245"),
                   st.integers(0, 999), st.integers(0, 999))
numbers = st.integers(0, qfcodec.MAX_NUMBER)
controllers = st.builds(
    Controller, address=address.filter(bool), uid=numbers, gid=numbers,
    user=st.none() | st.from_regex(r"[a-z_][a-z0-9_.-]{0,31}", fullmatch=True).filter(
        lambda u: u != "-"), alias=st.booleans(), primary=st.booleans())
recipients = st.builds(
    Recipient, address=address.filter(bool), state=st.sampled_from(list(RecipientState)),
    notify=notify, orcpt=st.none() | xtext.map(lambda x: "rfc822;" + x),
    status=st.none() | status, ctladdr=st.none() | controllers)
macro_name = st.one_of(st.sampled_from("ajrs"),
                       st.from_regex(r"\{[A-Za-z0-9_]{1,32}\}", fullmatch=True))
envelopes = st.builds(
    Envelope, sender=address, recipients=st.lists(recipients, min_size=1, max_size=5).map(tuple),
    envid=st.none() | xtext, ret=st.none() | st.sampled_from(qfcodec.RET_VALUES),
    body_type=st.none() | st.sampled_from(qfcodec.BODY_TYPES), priority=numbers,
    macros=st.lists(st.tuples(macro_name, printable), max_size=4).map(tuple),
    header_size=st.integers(0, 10 ** 6), origin=st.none() | st.sampled_from(qfcodec.ORIGINS))
reasons = st.none() | printable.filter(bool)
controls = st.builds(ControlFile, qid=st.from_regex(qfcodec.QID_RE.pattern[:-2], fullmatch=True),
                     envelope=envelopes, created=numbers, next_try=numbers, attempts=numbers,
                     size=numbers, reason=reasons, warned=numbers).filter(lambda c: c.envelope.header_size <= c.size)


@given(controls)
@settings(max_examples=300)
def test_round_trip(cf: ControlFile) -> None:
    assert decode(encode(cf)) == cf


@given(controls, st.data())
@settings(max_examples=200)
def test_any_single_byte_change_is_refused_or_harmless(cf: ControlFile, data: st.DataObject) -> None:
    """Flipping one byte never yields a different accepted control file (the CRC line)."""
    raw = bytearray(encode(cf))
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[pos]))
    with pytest.raises(QueueFileError):
        decode(bytes(raw))


@given(controls, st.data())
@settings(max_examples=100)
def test_truncation_is_refused(cf: ControlFile, data: st.DataObject) -> None:
    raw = encode(cf)
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(QueueFileError):
        decode(raw[:cut])


# ------------------------------------------------------------------ decode refusals

def sample() -> ControlFile:
    env = Envelope(sender="joe@example.com",
                   recipients=(Recipient("ann@example.org", notify=("SUCCESS", "FAILURE"),
                                         orcpt="rfc822;ann@example.org"),
                               Recipient("bob@example.org", RecipientState.DEFERRED, status="4.4.1")),
                   envid="QQ314159", ret="HDRS", body_type="8BITMIME", priority=30000,
                   macros=(("{client_addr}", "127.0.0.2"), ("r", "ESMTP")), header_size=321)
    return ControlFile(QID, env, created=1795577000, next_try=1795577600, attempts=2, size=1234,
                       reason="Deferred: Connection refused by mx.example.org.")


def sealed(lines: list[str]) -> bytes:
    """A file with a correct end line, so the line checks (not the CRC) are what refuse it."""
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return body + b"end %08x\n" % zlib.crc32(body)


def sample_lines() -> list[str]:
    return encode(sample()).decode().splitlines()[:-1]


def replaced(key: str, line: str) -> bytes:
    return sealed([line if old.split(" ", 1)[0] == key else old for old in sample_lines()])


def refusal(raw: bytes) -> QueueFileError:
    with pytest.raises(QueueFileError) as info:
        decode(raw)
    return info.value


def test_sample_format_is_stable() -> None:
    text = encode(sample()).decode()
    assert text.startswith("version 2\nqid 6AP3HY1D031232\ncreated 1795577000\n")
    assert "rcpt pending SUCCESS,FAILURE rfc822;ann@example.org - <ann@example.org>\n" in text
    assert "rcpt deferred - - 4.4.1 <bob@example.org>\n" in text
    assert "macro {client_addr} 127.0.0.2\n" in text
    assert decode(text.encode()) == sample()


def test_null_sender() -> None:
    cf = dataclasses.replace(sample(), envelope=dataclasses.replace(sample().envelope, sender=""))
    assert b"sender <>\n" in encode(cf)
    assert decode(encode(cf)).envelope.sender == ""


@pytest.mark.parametrize("raw, line, reason", [
    (b"", 0, "empty file"),
    (b"version 2\nqid x", 2, "truncated: no newline"),
    (b"version 1\n", 1, "not a monomail control file"),
    (b"#!/bin/sh\nrm -rf /\n", 1, "not a monomail control file"),
    (b"version 2\n", 1, "truncated: no end line"),
    (b"version 2\nqid 6AP3HY1D031232\n", 2, "truncated: no end line"),
    (b"version 2\nend 00000000\n", 2, "checksum mismatch"),
    (b"version 2\n\xff\xfe\n", 2, "not UTF-8"),
])
def test_frame_refusals(raw: bytes, line: int, reason: str) -> None:
    err = refusal(raw)
    assert err.line == line and reason in err.reason


def test_oversize_file_and_line() -> None:
    assert "larger than" in refusal(b"x" * (qfcodec.MAX_FILE_BYTES + 1)).reason
    err = refusal(b"version 2\nqid " + b"A" * qfcodec.MAX_LINE_BYTES + b"\n")
    assert err.line == 2 and "longer than" in err.reason


@pytest.mark.parametrize("key, line, reason", [
    ("qid", "qid ../../etc/passwd", "bad queue id"),
    ("created", "created -5", "not a number"),
    ("created", "created 0x10", "not a number"),
    ("created", "created 007", "not a number"),
    ("attempts", "attempts 99999999999999999999", "not a number"),
    ("attempts", "attempts 9999999999999999999", "out of range"),
    ("priority", "priority", "no value"),
    ("body", "body 9BIT", "bad body type"),
    ("sender", "sender joe@example.com", "not in angle brackets"),
    ("sender", "sender <joe<x>@example.com>", "angle bracket"),
    ("sender", "sender <joe\x01@example.com>", "control character"),
    ("sender", "sender <" + "a" * 600 + ">", "longer than"),
    ("envid", "envid has space", "not xtext"),
    ("envid", "envid " + "E" * 101, "ENVID longer"),
    ("ret", "ret ALL", "bad RET"),
    ("size", "size 12 13", "not a number"),
    ("header-size", "header-size x", "not a number"),
    ("reason", "reason ", "empty reason"),
    ("reason", "reason \x1b[2J", "control character"),
    ("reason", "reason " + "r" * 1025, "longer than"),
])
def test_header_refusals(key: str, line: str, reason: str) -> None:
    number = next(i for i, old in enumerate(sample_lines(), 1) if old.split(" ", 1)[0] == key)
    err = refusal(replaced(key, line))
    assert err.line == number and reason in err.reason, err


@pytest.mark.parametrize("line, reason", [
    ("rcpt pending - - - <>", "empty recipient"),
    ("rcpt done - - - <a@b>", "bad recipient state"),
    ("rcpt pending - - <a@b>", "5 fields"),
    ("rcpt pending NEVER,SUCCESS - - <a@b>", "bad NOTIFY"),
    ("rcpt pending SUCCESS,SUCCESS - - <a@b>", "bad NOTIFY"),
    ("rcpt pending BOUNCE - - <a@b>", "bad NOTIFY"),
    ("rcpt pending - a@b - <a@b>", "ORCPT without address type"),
    ("rcpt pending - rfc822;" + "x" * 500 + " - <a@b>", "ORCPT longer"),
    ("rcpt sent - - 2.0 <a@b>", "bad status"),
    ("rcpt sent - - 3.0.0 <a@b>", "bad status"),
    ("rcpt pending - - - a@b", "not in angle brackets"),
    ("rcpt pending - - - <a@b>\x1b[2J", "control character"),
    ("rcpt pending - - - <a\u0085b>", "control character"),
    ("macro {client addr} 1", "bad macro name"),
    ("macro ${x} 1", "bad macro name"),
    ("macro {client_addr}", "needs a name and a value"),
    ("exec rm -rf /", "unknown key"),
    ("qid 6AP3HY1D031232", "repeated key"),
    ("rcpt\tpending - - - <a@b>", "control character"),
    ("rcpt pending - - - <|prog> via 1 1 bob - bob", "not in angle brackets"),
    ("rcpt pending - - - <|prog> via 1 1 bob <bob>", "needs 5 fields"),
    ("rcpt pending - - - <|prog> via -1 1 bob - <bob>", "not a number"),
    ("rcpt pending - - - <|prog> via 1 1 bob owner <bob>", "bad controlling address flags"),
    ("rcpt pending - - - <|prog> via 1 1 bob alias,alias <bob>", "bad controlling address flags"),
    ("rcpt pending - - - <|prog> via 1 1 b:ob - <bob>", "bad controlling user"),
    ("rcpt pending - - - <|prog> via 1 1 bob - <>", "empty controlling address"),
    ("origin bounce", "bad origin"),
    ("warned soon", "not a number"),
])
def test_body_line_refusals(line: str, reason: str) -> None:
    lines = sample_lines()
    lines.insert(5, line)
    err = refusal(sealed(lines))
    assert err.line == 6 and reason in err.reason, err


def test_reason_is_optional_and_header_size_bounded() -> None:
    lines = sample_lines()
    assert decode(sealed([old for old in lines if not old.startswith("reason")])).reason is None
    err = refusal(sealed([old if not old.startswith("header-size") else "header-size 1235"
                          for old in lines]))
    assert "header-size larger than size" in err.reason
    with pytest.raises(QueueFileError, match="header-size larger"):
        encode(with_envelope(header_size=1235))


def test_expansion_records_round_trip() -> None:
    """A recipient found by expansion keeps its controlling address; `primary` follows it."""
    line = "rcpt deferred - - 4.2.0 <|/usr/bin/procmail -a x> via 1000 100 bob primary <bob>"
    lines = sample_lines()
    lines.append(line)
    lines.insert(5, "warned 1795577700")
    lines.insert(5, "origin postmaster-report")
    cf = decode(sealed(lines))
    found = cf.envelope.recipients[-1]
    assert found.ctladdr == Controller("bob", 1000, 100, "bob", alias=False, primary=True)
    assert found.primary and not Recipient("x", ctladdr=Controller("list", 1, 0)).primary
    assert (cf.envelope.origin, cf.warned) == ("postmaster-report", 1795577700)
    assert line + "\n" in encode(cf).decode()


def test_expanded_program_with_brackets_is_written_as_xtext() -> None:
    """`"|cmd >> log"` from a .forward: the address goes between brackets as xtext."""
    rcpt = Recipient('"|/bin/sh -c \'cat >> /x\'"', ctladdr=Controller("bob", 1, 1, "bob"))
    cf = with_envelope(recipients=(rcpt,))
    raw = encode(cf)
    assert b"rcpt pending - - - <\"|/bin/sh+20-c+20'cat+20+3E+3E+20/x'\"> via 1 1 bob xtext <bob>" \
        in raw
    assert decode(raw) == cf
    lines = sample_lines()
    lines.append("rcpt pending - - - <a+zz> via 1 1 bob xtext <bob>")
    assert "flagged xtext is not xtext" in refusal(sealed(lines)).reason


def test_missing_keys_and_recipients() -> None:
    lines = [old for old in sample_lines() if not old.startswith(("envid", "ret"))]
    err = refusal(sealed(lines))
    assert err.line == len(lines) + 1 and "missing envid, ret" in err.reason
    err = refusal(sealed([old for old in sample_lines() if not old.startswith("rcpt")]))
    assert "no recipients" in err.reason


def test_counts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qfcodec, "MAX_RECIPIENTS", 2)
    monkeypatch.setattr(qfcodec, "MAX_MACROS", 2)
    lines = sample_lines()
    err = refusal(sealed(lines + ["rcpt pending - - - <c@d>"]))
    assert err.line == len(lines) + 1 and "more than 2 recipients" in err.reason
    err = refusal(sealed(lines + ["macro j host"]))
    assert "more than 2 macros" in err.reason


# ------------------------------------------------------------------ encode refusals

def with_envelope(**changes: Any) -> ControlFile:
    return dataclasses.replace(sample(), envelope=dataclasses.replace(sample().envelope, **changes))


@pytest.mark.parametrize("cf, reason", [
    (with_envelope(recipients=()), "recipients"),
    (with_envelope(sender="a\nrcpt pending - - - <evil@x>"), "control character"),
    (with_envelope(recipients=(Recipient("a>b"),)), "angle bracket"),
    (with_envelope(macros=(("{x}", "1\n2"),)), "control character"),
    (with_envelope(macros=(("bad name", "1"),)), "bad macro name"),
    (with_envelope(macros=tuple(("a", "") for _ in range(qfcodec.MAX_MACROS + 1))), "macros"),
    (with_envelope(body_type="UTF8"), "body type"),
    (with_envelope(priority=-1), "out of range"),
    (with_envelope(sender="\udc80"), "not valid Unicode"),
    (dataclasses.replace(sample(), qid="../x"), "bad queue id"),
    (with_envelope(recipients=(Recipient("x", ctladdr=Controller("a>b", 1, 1)),)),
     "angle bracket"),
    (with_envelope(recipients=(Recipient("x", ctladdr=Controller("a", 1, 1, "-")),)),
     "bad controlling user"),
    (with_envelope(origin="bounce"), "bad origin"),
])
def test_encode_refuses_what_decode_would(cf: ControlFile, reason: str) -> None:
    with pytest.raises(QueueFileError) as info:
        encode(cf)
    assert reason in info.value.reason


def test_documented_example_decodes() -> None:
    """The example in docs/queue.md is a valid file and is what encode() writes."""
    doc = (Path(__file__).parents[2] / "docs" / "queue.md").read_text()
    example = doc.split("```\n")[1]
    assert decode(example.encode()) == sample()
    assert encode(sample()) == example.encode()
