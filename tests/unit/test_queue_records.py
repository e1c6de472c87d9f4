"""Journal byte format: frames and records round-trip, and damaged bytes are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.queue import records as rec

QID = "6AP3HY1D031232"

records = st.builds(rec.encode_record, st.sampled_from(rec.KINDS), st.just(QID),
                    st.integers(0, 2 ** 32 - 1), st.binary(max_size=50), st.binary(max_size=200))


@given(st.lists(st.tuples(st.sampled_from(rec.KINDS), st.integers(0, 2 ** 32 - 1),
                          st.binary(max_size=50), st.binary(max_size=200)), max_size=6))
def test_frame_round_trip(items: list[tuple[bytes, int, bytes, bytes]]) -> None:
    frame = rec.encode_frame([rec.encode_record(k, QID, v, c, d) for k, v, c, d in items])
    header, payload = frame[:rec.FRAME_HEADER], frame[rec.FRAME_HEADER:]
    assert rec.frame_length(header) == len(payload)
    rec.check_payload(header, payload)
    got = rec.decode_payload(payload)
    assert [(r.kind, r.qid, r.version, r.control) for r in got] == [(k, QID, v, c) for k, v, c, _ in items]
    for r, (_, _, _, data) in zip(got, items):
        stored = payload[r.data_offset:r.data_offset + r.data_length]
        assert stored == data
        rec.check_data(stored, r.data_length, r.data_crc)


@given(st.lists(records, min_size=1, max_size=4), st.data())
@settings(max_examples=200)
def test_any_changed_byte_is_caught(parts: list[bytes], data: st.DataObject) -> None:
    """One changed byte anywhere in a frame: its header or its payload is refused."""
    frame = bytearray(rec.encode_frame(parts))
    pos = data.draw(st.integers(0, len(frame) - 1))
    frame[pos] ^= data.draw(st.integers(1, 255))
    header, payload = bytes(frame[:rec.FRAME_HEADER]), bytes(frame[rec.FRAME_HEADER:])
    with pytest.raises(rec.FrameError):
        rec.frame_length(header)
        rec.check_payload(header, payload)


def test_data_span_locates_the_data() -> None:
    raw = rec.encode_record(rec.MESSAGE, QID, 3, b"control", b"the data")
    start, length, crc = rec.data_span(raw)
    assert raw[start:start + length] == b"the data"
    assert rec.decode_payload(raw)[0].data_crc == crc


@pytest.mark.parametrize("payload, reason", [
    (b"M" + b"\0" * 10, "record header cut"),
    (b"X" + QID.encode() + b"\0" * 16, "bad record"),
    (rec.encode_record(rec.MESSAGE, QID, 0, b"c", b"data")[:-1], "bad record"),
    (b"M" + b"\xff" * 14 + b"\0" * 16, "bad queue id"),
])
def test_records_must_tile_the_payload(payload: bytes, reason: str) -> None:
    with pytest.raises(rec.FrameError, match=reason):
        rec.decode_payload(payload)


def test_encode_refuses_what_cannot_be_read_back() -> None:
    with pytest.raises(rec.FrameError):
        rec.encode_record(b"X", QID, 0)
    with pytest.raises(rec.FrameError):
        rec.encode_record(rec.DONE, "short", 0)


def test_data_checksum() -> None:
    raw = rec.encode_record(rec.MESSAGE, QID, 0, b"", b"abc")
    record = rec.decode_payload(raw)[0]
    rec.check_data(b"abc", record.data_length, record.data_crc)
    for wrong in (b"abd", b"ab"):
        with pytest.raises(rec.FrameError, match="data checksum"):
            rec.check_data(wrong, record.data_length, record.data_crc)
