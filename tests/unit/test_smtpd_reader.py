"""The SMTP byte readers: command lines and strict message data (smuggling variants,
dot-stuffing, size limits), whatever way the bytes are cut into chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monomail.smtpd.reader import (BARE_CR_REPLY, BARE_LF_REPLY, MAXLINE, Bare, BareLineEnd,
                                   DataReader, LineTooLong, header_stats, take_line)


def feed_all(reader: DataReader, chunks: list[bytes]) -> bytes | None:
    """Feed chunks until the data ends; then what followed, chunks after it included."""
    for i, chunk in enumerate(chunks):
        rest = reader.feed(chunk)
        if rest is not None:
            return rest + b"".join(chunks[i + 1:])
    return None


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p % (len(data) + 1) for p in points})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


# --- command lines -------------------------------------------------------------------

def test_take_line_strips_crlf_or_lf_and_keeps_the_rest() -> None:
    buf = bytearray(b"NOOP\r\nHELO x\nMAIL")
    assert take_line(buf) == "NOOP"
    assert take_line(buf) == "HELO x"
    assert take_line(buf) is None
    assert buf == b"MAIL"


def test_take_line_keeps_inner_cr_and_every_octet() -> None:
    buf = bytearray(b"NO\rOP \xff\x00\r\r\n")
    assert take_line(buf) == "NO\rOP \xff\x00\r"


def test_line_of_maxline_octets_passes_and_one_more_is_too_long() -> None:
    ok = b"N" * (MAXLINE - 2) + b"\r\n"
    assert take_line(bytearray(ok)) == "N" * (MAXLINE - 2)
    with pytest.raises(LineTooLong):
        take_line(bytearray(b"N" * (MAXLINE - 1) + b"\r\n"))


def test_long_line_without_end_is_refused_before_it_ends() -> None:
    with pytest.raises(LineTooLong):
        take_line(bytearray(b"x" * 10000))
    assert take_line(bytearray(b"x" * MAXLINE)) is None


# --- message data --------------------------------------------------------------------

def test_data_ends_at_crlf_dot_crlf_and_returns_what_follows() -> None:
    reader = DataReader()
    rest = feed_all(reader, [b"Subject: a\r\n\r\nbody\r\n.\r\nQUIT\r\n"])
    assert rest == b"QUIT\r\n"
    assert reader.result is not None
    assert reader.result.data == b"Subject: a\r\n\r\nbody\r\n"
    assert reader.result.size == len(b"Subject: a\n\nbody\n")


def test_empty_message_is_a_lone_dot() -> None:
    reader = DataReader()
    assert reader.feed(b".\r\n") == b""
    assert reader.result is not None and reader.result.data == b""


def test_dot_stuffing_is_undone_on_every_line() -> None:
    reader = DataReader()
    feed_all(reader, [b"..leading\r\n.x\r\n...\r\nmid.dle\r\n.\r\n"])
    assert reader.result is not None
    assert reader.result.data == b".leading\r\nx\r\n..\r\nmid.dle\r\n"


SMUGGLING = [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n"]


@pytest.mark.parametrize("variant", SMUGGLING)
def test_smuggling_variants_are_refused_at_once(variant: bytes) -> None:
    reader = DataReader()
    body = b"a\r\nb" + variant + b"MAIL FROM:<evil@x>\r\n"
    with pytest.raises(BareLineEnd) as info:
        reader.feed(body)
    assert info.value.reply in (BARE_LF_REPLY, BARE_CR_REPLY)
    assert reader.result is None


@pytest.mark.parametrize("variant", SMUGGLING)
def test_smuggling_variants_never_end_the_data_when_accepted(variant: bytes) -> None:
    reader = DataReader(bare_lf=Bare.ACCEPT, bare_cr=Bare.ACCEPT)
    smuggled = b"a\r\nb" + variant + b"MAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\n"
    assert reader.feed(smuggled) is None
    rest = reader.feed(b"tail\r\n.\r\nQUIT\r\n")
    assert rest == b"QUIT\r\n"
    assert reader.result is not None and b"MAIL FROM:<evil@x>" in reader.result.data


@pytest.mark.parametrize("variant", SMUGGLING)
def test_smuggling_variants_are_blanked_when_normalized(variant: bytes) -> None:
    reader = DataReader(bare_lf=Bare.NORMALIZE, bare_cr=Bare.NORMALIZE)
    rest = reader.feed(b"a" + variant + b"b\r\n.\r\n")
    assert rest == b""
    assert reader.result is not None
    data = reader.result.data
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    assert data.endswith(b"b\r\n") and reader.result.normalized >= 1


def test_bare_lf_and_cr_messages_say_which() -> None:
    with pytest.raises(BareLineEnd, match="linefeed"):
        DataReader().feed(b"x\ny\r\n.\r\n")
    with pytest.raises(BareLineEnd, match="carriage return"):
        DataReader().feed(b"x\r\r\n.\r\n")


def test_cr_at_a_chunk_end_waits_for_its_lf() -> None:
    reader = DataReader()
    assert reader.feed(b"line\r") is None
    assert reader.feed(b"\n.\r") is None
    assert reader.feed(b"\n") == b""
    assert reader.result is not None and reader.result.data == b"line\r\n"


def test_bare_cr_at_a_chunk_end_is_found_with_the_next_chunk() -> None:
    reader = DataReader()
    assert reader.feed(b"line\r") is None
    with pytest.raises(BareLineEnd):
        reader.feed(b"x\r\n.\r\n")


def test_size_limit_drops_text_but_finds_the_end() -> None:
    reader = DataReader(max_size=100)
    for _ in range(50):
        assert reader.feed(b"x" * 98 + b"\r\n") is None
    assert reader.feed(b".\r\nQUIT\r\n") == b"QUIT\r\n"
    result = reader.result
    assert result is not None and result.too_big and result.data == b""
    assert result.size == 50 * 99


def test_size_limit_counts_crlf_as_one_like_sendmail() -> None:
    reader = DataReader(max_size=6)
    reader.feed(b"ab\r\ncd\r\n.\r\n")      # "ab\ncd\n" is 6 octets
    assert reader.result is not None and not reader.result.too_big
    reader = DataReader(max_size=5)
    reader.feed(b"ab\r\ncd\r\n.\r\n")
    assert reader.result is not None and reader.result.too_big


def test_dropped_text_cannot_fake_the_start_of_a_line() -> None:
    """After the size limit dropped text, ".\\r\\n" at the end of a line is no end."""
    reader = DataReader(max_size=10)
    assert reader.feed(b"y" * 200 + b"abc.\r\n") is None
    assert reader.feed(b"more\r\n.\r\n") == b""


def test_nul_and_8bit_are_noted() -> None:
    reader = DataReader()
    reader.feed(b"a\0b\xe9\r\n.\r\n")
    assert reader.result is not None
    assert reader.result.has_nul and reader.result.has_8bit
    assert reader.result.data == b"a\0b\xe9\r\n"


@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
                max_size=8),
       st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_any_chunking_gives_the_same_message(lines: list[bytes], points: list[int]) -> None:
    wire = b"".join(b"." + line + b"\r\n" if line.startswith(b".") else line + b"\r\n"
                    for line in lines) + b".\r\nNOOP\r\n"
    reader = DataReader()
    assert feed_all(reader, cut(wire, points)) == b"NOOP\r\n"
    assert reader.result is not None
    assert reader.result.data == b"".join(line + b"\r\n" for line in lines)


@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_no_input_ends_the_data_before_crlf_dot_crlf(noise: bytes, points: list[int]) -> None:
    reader = DataReader(bare_lf=Bare.ACCEPT, bare_cr=Bare.ACCEPT)
    wire = noise + b"\r\n.\r\n"
    rest = feed_all(reader, cut(wire, points))
    first = (b"\r\n" + wire).find(b"\r\n.\r\n")
    assert rest == wire[first + 3:]


# --- header statistics for check_eoh and MaxHeadersLength ------------------------------

def test_header_stats_count_fields_and_lf_octets_to_the_blank_line() -> None:
    data = b"Subject: a\r\nX-Long: one\r\n two\r\n\r\nbody: not a header\r\n"
    assert header_stats(data) == (2, len(b"Subject: a\nX-Long: one\n two\n\n"))


def test_header_stats_stop_at_the_first_non_header_line() -> None:
    assert header_stats(b"Subject: a\r\nno colon here\r\nX: y\r\n") == (1, 25)
    assert header_stats(b"") == (0, 0)
