"""Where log lines go: syslog's /dev/log, or a file when there is no syslog daemon.

sendmail's sm_syslog is reproduced where admins see it: "QID: " (or "NOQUEUE: ")
before the text, unprintable characters escaped as str2prt does, and a line too long
for the syslog buffer split into "QID[1]: ... ..." parts.  The ident is sendmail's
("sendmail", or the `-L` tag) so that log analysers written for sendmail match.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Callable

from .fields import SYSLOG_BUFSIZE

LOG_MAIL = 2 << 3
LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 3, 4, 5, 6, 7
SYSLOG_SOCKET = "/dev/log"
MAXQFNAME = 21        # longest queue file name + 1
SL_SPLIT = 7          # " ..." plus a little data for the next part
MAX_PARTS = 999
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def str2prt(text: str) -> str:
    """Printable ASCII stays; backslash, tab, newline, CR and every other octet escaped."""
    if all(" " <= c <= "~" and c != "\\" for c in text):
        return text
    return "".join(c if " " <= c <= "~" and c != "\\" else
                   _ESCAPES.get(c) or "\\%03o" % (ord(c) & 0xFF) for c in text)


def prefix_length(label: str | None) -> int:
    """sendmail's estimate of what syslog puts before a line (SyslogPrefixLen): pid,
    queue file name, a fudge, and the label (`-L`) or 8 for the default one."""
    return 6 + (MAXQFNAME - 3) + 10 + (8 if label is None else min(len(label), 32) + 1)


def syslog_parts(qid: str | None, text: str, prefix: int = prefix_length(None)) -> list[str]:
    """The lines sm_syslog hands to syslog for one message."""
    ident = qid if qid is not None else "NOQUEUE"
    text = str2prt(text)
    idlen = len(ident) + prefix
    if len(text) + idlen + 1 < SYSLOG_BUFSIZE:
        return [f"{ident}: {text}" if ident else text]
    idlen += 5
    parts, seq, room = [], 1, SYSLOG_BUFSIZE - idlen - SL_SPLIT
    while text and len(text) + idlen > SYSLOG_BUFSIZE:
        if seq >= MAX_PARTS:
            return parts + [f"{ident}[{seq}]: log terminated, too many parts"]
        end = room
        while end > 0 and text[end] not in ", ":
            end -= 1
        end = end + 1 if end > 0 else room
        parts.append(f"{ident}[{seq}]: {text[:end]} ...")
        seq, text = seq + 1, text[end:]
    if text:
        parts.append(f"{ident}[{seq}]: {text}")
    return parts


class MailLog:
    """One process's log: LogLevel filtering, sendmail's line format, one destination.

    `path` (the Monomail.LogFile option) appends lines in syslog's file layout; without it
    lines go to /dev/log, and are dropped when no syslog daemon listens, as syslog(3) does.
    """

    def __init__(self, level: int = 9, label: str | None = None, path: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.level, self.path, self.clock = level, path, clock
        self.ident = label[:32] if label is not None else "sendmail"
        self.prefix = prefix_length(label)
        self.pid = os.getpid()
        self._sock: socket.socket | None = None
        self._fd: int | None = None
        self._host = socket.gethostname().split(".")[0]

    def enabled(self, threshold: int) -> bool:
        """sendmail's `if (LogLevel > threshold)` guard."""
        return self.level > threshold

    def log(self, priority: int, qid: str | None, text: str) -> None:
        for part in syslog_parts(qid, text, self.prefix):
            self._emit(priority, part)

    def _emit(self, priority: int, line: str) -> None:
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime(self.clock()))
        if self.path is not None:
            record = f"{stamp} {self._host} {self.ident}[{self.pid}]: {line}\n"
            os.write(self._file(), record.encode("latin-1", "replace"))
            return
        record = f"<{LOG_MAIL | priority}>{stamp} {self.ident}[{self.pid}]: {line}"
        try:
            self._socket().send(record.encode("latin-1", "replace"))
        except OSError:
            self.close()   # no syslog daemon (or it went away): syslog(3) drops the line too

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path or "", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        return self._fd

    def _socket(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            try:
                sock.connect(SYSLOG_SOCKET)
            except OSError:
                sock.close()
                raise
            self._sock = sock
        return self._sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
