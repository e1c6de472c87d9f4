"""collect(): line ends, dots, the header/body split and the limits, case by case
(tests/cleanup checks the same rules against sendmail itself)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.cleanup.collect import (Collected, CollectOptions, bare_line_end, collect,
                                      end_of_input, isheader)

CLI = CollectOptions()
CLI_I = CollectOptions(ignore_dots=True)
SMTP = CollectOptions(smtp=True)


def run(data: bytes, opts: CollectOptions = CLI,
        eoh: tuple[str, ...] = ("Text", "Message")) -> tuple[list[str], Collected]:
    fields: list[str] = []

    def take(line: str) -> bool:
        fields.append(line)
        return line.split(":")[0] in eoh

    return fields, collect(data, opts, take)


def test_fields_and_body() -> None:
    fields, got = run(b"Subject: hi\nTo: a,\n\tb\n\nbody\n")
    assert fields == ["Subject: hi", "To: a,\n\tb"]
    assert got.body == b"body\n" and got.header_count == 2 and not got.terminated


def test_crlf_becomes_lf_and_bare_cr_stays() -> None:
    fields, got = run(b"A: b\r\nC: d\r\r\n\r\nl1\rbare\r\nend\r")
    assert fields == ["A: b", "C: d"]
    assert got.body == b"l1\rbare\nend"  # a CR at the very end of input is lost


@pytest.mark.parametrize("data,opts,body,terminated", [
    (b"A: b\n\nx\n.\nafter\n", CLI, b"x\n", True),
    (b"A: b\n\nx\n.\r\nafter\n", CLI, b"x\n", True),
    (b"A: b\n\n..two\n.one\n", CLI, b".two\n.one\n", False),
    (b"A: b\n\nx\n.\nafter\n", CLI_I, b"x\n.\nafter\n", False),
    (b"A: b\n\n..two\n", CLI_I, b"..two\n", False),
    (b"A: b\n\nlast\n.", CLI_I, b"last\n", False),  # a dot just before the end is lost
    (b"A: b\r\n\r\n..two\r\n.one\r\n.\r\nafter", SMTP, b".two\none\n", True),
    (b".\n", CLI, b"", True),
])
def test_dots(data: bytes, opts: CollectOptions, body: bytes, terminated: bool) -> None:
    _, got = run(data, opts)
    assert (got.body, got.terminated) == (body, terminated)


def test_unix_from_line_is_taken_away_unless_saved() -> None:
    data = b"From joe Wed Nov 25 04:00:00 2026\nSubject: x\n\nb\n"
    fields, got = run(data)
    assert got.unix_from == "From joe Wed Nov 25 04:00:00 2026" and fields == ["Subject: x"]
    fields, got = run(data, CollectOptions(save_from=True))
    assert got.unix_from is None and fields == [] and got.body.startswith(b"From joe")


@pytest.mark.parametrize("data,fields,body", [
    (b"no header here\nSubject: x\n", [], b"no header here\nSubject: x\n"),
    (b"\nbody\n", [], b"body\n"),
    (b" indented: x\n\nb\n", [], b" indented: x\n\nb\n"),
    (b"--boundary: x\n", [], b"--boundary: x\n"),
    (b"A: b\nSubject: unterminated", ["A: b"], b""),
    (b"A: b\nText: hello\nnext\n", ["A: b", "Text: hello"], b"Text: hellonext\n"),
    (b"A : spaced\n\n", ["A : spaced"], b""),
    (b"X\x00Y: nul in name\n\nb\x00\n", ["XY: nul in name"], b"b\x00\n"),
])
def test_where_the_header_ends(data: bytes, fields: list[str], body: bytes) -> None:
    got_fields, got = run(data)
    assert (got_fields, got.body) == (fields, body)


def test_header_length_counts_the_first_body_line() -> None:
    _, got = run(b"A: b\n\n", CollectOptions(max_headers_length=6))
    assert not got.headers_too_large and got.header_length == 6
    _, got = run(b"A: b\nx\n", CollectOptions(max_headers_length=6))
    assert got.headers_too_large and got.body == b""
    _, got = run(b"x" * (1 << 20) + b"\n")
    assert got.headers_too_large and got.header_count == 0


def test_sizes_and_eight_bit() -> None:
    _, got = run(b"S: \xe4\n\nb\n", CollectOptions(max_message_size=5))
    assert got.size == 8 and got.too_big and got.has_8bit and got.header_8bit
    _, got = run(b"S: a\n\nb\xe4\n")
    assert got.has_8bit and not got.header_8bit
    _, got = run(b"S: \xe4\x8a\n\nb\n", CollectOptions(seven_bit_input=True))
    assert not got.has_8bit


@pytest.mark.parametrize("data,bare", [
    (b"A: b\r\n\r\nok\r\n.\r\n", None),
    (b"A: b\r\n\r\nx\ry\r\n.\r\n", "CR"),
    (b"A: b\r\n\r\nx\n.\r\n", "LF"),
    (b"A: b\r\n\r\nx\r\n.\n", "LF"),
    (b"A: b\r\n\r\nx\r\n.\r\nafter\n", None),  # past the end: not read
])
def test_bare_line_ends_in_smtp(data: bytes, bare: str | None) -> None:
    assert bare_line_end(data) == bare
    _, got = run(data, SMTP)
    assert got.bare == bare
    _, got = run(data, CollectOptions(smtp=True, bare_line_ends_ok=True))
    assert got.bare is None


def test_isheader() -> None:
    assert isheader(b"Subject: x\n") and isheader(b"A\x7fB: x\n") and isheader(b"A :x")
    assert not isheader(b"--A: x") and not isheader(b"A\x80: x") and not isheader(b": x")


def test_end_of_input() -> None:
    assert end_of_input(b"a\n.\nb", True) == (b"a\n", True)
    assert end_of_input(b"a\n.", False) == (b"a\n", False)
    assert end_of_input(b"a\r", False) == (b"a", False)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([CLI, CLI_I, SMTP]))
def test_any_input_is_read_without_error(data: bytes, opts: CollectOptions) -> None:
    fields, got = run(data, opts)
    assert got.size <= len(data)
    assert all("\0" not in f for f in fields)


def test_data_the_smtp_server_already_decoded_is_taken_as_it_is() -> None:
    decoded = CollectOptions(smtp=True, decoded=True)
    fields, got = run(b"Subject: s\r\n\r\n.leading\r\n.\r\nlast\r\n", decoded)
    assert fields == ["Subject: s"] and got.body == b".leading\n.\nlast\n"
    assert got.bare is None and not got.terminated
    assert run(b"Subject: s\n\nbare\nlf\r\n", decoded)[1].body == b"bare\nlf\n"
