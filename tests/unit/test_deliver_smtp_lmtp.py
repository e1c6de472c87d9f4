"""F=z mailers: LMTP over TCP, over a socket in the file system, and from a mailer
program talking on its standard input and output (sendmail's clever mailers)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable

from sinks import ScriptedSink, Script
from test_deliver_smtp import MESSAGE, MX, Kit, dns, make_kit, port, states  # noqa: F401 (fixtures)

from monomail import sysexits as ex

SINKS = Path(__file__).resolve().parents[1] / "sinks.py"
REPLIES = {"later": "452 4.2.2 <> mailbox full", "gone": "550 5.1.1 <> no such user"}


def lmtp_kit(make_kit: Callable[..., Kit], port: int, tmp_path: Path) -> Kit:
    return make_kit(options=f"""
Mlmtp, P=[IPC], F=mDFMuXz, E=\\r\\n, A=TCP $h {port}
Msocket, P=[IPC], F=mDFMuXz, E=\\r\\n, A=FILE {tmp_path}/lmtp.sock
Mpiped, P={sys.executable}, F=mDFMuXzlS, U={os.getuid()}:{os.getgid()}, E=\\r\\n,
	A=python3 {SINKS} {tmp_path}/record.json lmtp
Mmissing, P={tmp_path}/no-such-program, F=mDFMuXzS, U={os.getuid()}:{os.getgid()}, E=\\r\\n,
	A=lmtpd
""")


async def test_lmtp_over_tcp_gives_each_recipient_its_own_reply(
        make_kit: Callable[..., Kit], port: int, tmp_path: Path) -> None:
    kit = lmtp_kit(make_kit, port, tmp_path)
    async with ScriptedSink(Script(lmtp=True, data_replies=REPLIES), host=MX, port=port) as sink:
        report = await kit.send(kit.batch(f"[{MX}]", ["good@x", "later@x", "gone@x", "also@x"],
                                          mailer="lmtp"))
    assert sink.commands[0].startswith(b"LHLO mail.example.com")
    assert sink.delivered[0].accepted == ["good@x", "later@x", "gone@x", "also@x"]
    assert states(report) == {
        "good@x": ("sent", "2.0.0", "Sent (Ok: queued as 1)"),
        "also@x": ("sent", "2.0.0", "Sent (Ok: queued as 1)"),
        "later@x": ("deferred", "4.2.2", "Deferred: 452 4.2.2 <later@x> mailbox full"),
        "gone@x": ("failed", "5.1.1", "Service unavailable"),
    }
    assert [len(o.recipients) for o in report.outcomes] == [1, 1, 2]
    assert "<<< 550 5.1.1 <gone@x> no such user" in report.transcript


async def test_lmtp_over_a_socket_in_the_file_system(
        make_kit: Callable[..., Kit], port: int, tmp_path: Path) -> None:
    kit = lmtp_kit(make_kit, port, tmp_path)
    async with ScriptedSink(Script(lmtp=True), path=str(tmp_path / "lmtp.sock")) as sink:
        report = await kit.send(kit.batch("", ["a@x"], mailer="socket"))
    assert sink.delivered[0].data == MESSAGE.replace(b"\n", b"\r\n")
    assert kit.lines[0] == f"a@x... Connecting to {tmp_path}/lmtp.sock via socket..."
    result = report.outcomes[0].result
    assert (result.state, result.relay_host) == ("sent", "localhost")


async def test_a_mailer_program_speaking_lmtp_on_its_standard_io(
        make_kit: Callable[..., Kit], port: int, tmp_path: Path) -> None:
    kit = lmtp_kit(make_kit, port, tmp_path)
    report = await kit.send(kit.batch("", ["joe", "later"], mailer="piped"))
    assert states(report) == {
        "joe": ("sent", "2.0.0", "Sent (Ok: queued as 1)"),
        "later": ("deferred", "4.2.2", "Deferred: 452 4.2.2 <later> mailbox full"),
    }
    assert kit.lines[0] == "joe,later... Connecting to piped..."
    taken = json.loads((tmp_path / "record.json").read_text())
    assert taken == [["sender@example.com", ["joe", "later"],
                      MESSAGE.decode().replace("\n", "\r\n")]]


async def test_a_missing_mailer_program(make_kit: Callable[..., Kit], port: int,
                                        tmp_path: Path) -> None:
    kit = lmtp_kit(make_kit, port, tmp_path)
    report = await kit.send(kit.batch("", ["joe"], mailer="missing"))
    result = report.outcomes[0].result
    assert (result.rcode, result.text) == (ex.EX_UNAVAILABLE, "Service unavailable")
    assert result.message == f"Cannot exec {tmp_path}/no-such-program: No such file or directory"
