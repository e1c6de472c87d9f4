"""The journal's byte format: segment header, frames (one per flushed batch) and records.

Pure code, no I/O.  A segment file is SEGMENT_MAGIC followed by frames; each frame is one
batch that was written with one write() and made durable with one fdatasync(), so it is
checked as a whole: a 16-byte header (magic, payload length, CRC-32 of the payload, CRC-32 of
the header itself) and the payload, a sequence of records.  A frame whose header is sound
but whose payload is short is a batch cut off by a crash (never acknowledged); the header's
own CRC means its length can be trusted to step over a payload that rotted on disk.

Records name a message by queue id and carry that message's version, a counter raised by
every change, so that the newest state wins whatever order the segments are read in:

  M  a message: its control file (qfcodec bytes) and its data
  S  a new state: the control file after a delivery attempt (recipients' states etc.)
  D  done: the message was delivered, bounced or quarantined and is to be forgotten
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SEGMENT_MAGIC = b"monomail queue 1\n"
FRAME_MAGIC = b"MQF1"
_FRAME = struct.Struct("<4sIII")          # magic, payload length, payload CRC, header CRC
_RECORD = struct.Struct("<c14sIIII")      # kind, qid, version, control length, data length, data CRC
FRAME_HEADER = _FRAME.size
RECORD_HEADER = _RECORD.size
MAX_PAYLOAD = 2 ** 32 - 1

MESSAGE, STATE, DONE = b"M", b"S", b"D"
KINDS = (MESSAGE, STATE, DONE)


class FrameError(ValueError):
    """A frame or record that is not what the writer would have written."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record as read back.  `data_offset` is where the data starts in the payload,
    so readers can locate it in the file without keeping a copy."""

    kind: bytes
    qid: str
    version: int
    control: bytes
    data_offset: int
    data_length: int
    data_crc: int


def encode_record(kind: bytes, qid: str, version: int, control: bytes = b"",
                  data: bytes = b"") -> bytes:
    """Record bytes; the caller has validated control (qfcodec.encode) and qid."""
    raw_qid = qid.encode("ascii")
    if kind not in KINDS or len(raw_qid) != 14:
        raise FrameError(f"cannot encode record {kind!r} for {qid!r}")
    head = _RECORD.pack(kind, raw_qid, version, len(control), len(data), zlib.crc32(data))
    return b"".join((head, control, data))


def data_span(record: bytes) -> tuple[int, int, int]:
    """(offset of the data within the encoded record, its length, its CRC)."""
    _, _, _, clen, dlen, dcrc = _RECORD.unpack_from(record)
    return RECORD_HEADER + clen, dlen, dcrc


def encode_frame(records: list[bytes]) -> bytes:
    """One frame holding `records`: what a single flush writes."""
    payload = b"".join(records)
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"batch of {len(payload)} bytes is larger than a frame can hold")
    head = struct.pack("<4sII", FRAME_MAGIC, len(payload), zlib.crc32(payload))
    return b"".join((head, struct.pack("<I", zlib.crc32(head)), payload))


def frame_length(header: bytes) -> int:
    """Payload length from a frame header, or FrameError if the header is not sound."""
    if len(header) < FRAME_HEADER:
        raise FrameError("short frame header")
    magic, length, _, header_crc = _FRAME.unpack_from(header)
    if magic != FRAME_MAGIC or zlib.crc32(header[:12]) != header_crc:
        raise FrameError("bad frame header")
    return length


def check_payload(header: bytes, payload: bytes) -> None:
    """FrameError unless `payload` is the one the (sound) header describes."""
    _, length, crc, _ = _FRAME.unpack_from(header)
    if len(payload) != length or zlib.crc32(payload) != crc:
        raise FrameError("frame checksum mismatch")


def decode_payload(payload: bytes) -> list[Record]:
    """The records of a checked payload; FrameError if their lengths do not tile it."""
    records = []
    pos = 0
    view = memoryview(payload)
    while pos < len(payload):
        if len(payload) - pos < RECORD_HEADER:
            raise FrameError(f"record header cut at payload byte {pos}")
        kind, raw_qid, version, clen, dlen, dcrc = _RECORD.unpack_from(payload, pos)
        start = pos + RECORD_HEADER
        end = start + clen + dlen
        if kind not in KINDS or end > len(payload):
            raise FrameError(f"bad record at payload byte {pos}")
        try:
            qid = raw_qid.decode("ascii")
        except UnicodeDecodeError:
            raise FrameError(f"bad queue id at payload byte {pos}") from None
        records.append(Record(kind, qid, version, bytes(view[start:start + clen]),
                              start + clen, dlen, dcrc))
        pos = end
    return records


def check_data(data: bytes, length: int, crc: int) -> None:
    """FrameError unless `data` is a record's data as written (read back for delivery)."""
    if len(data) != length or zlib.crc32(data) != crc:
        raise FrameError("data checksum mismatch")
