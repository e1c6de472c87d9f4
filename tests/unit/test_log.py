"""sendmail's log line layouts and sm_syslog's escaping and splitting."""

from __future__ import annotations

from pathlib import Path

from monomail.log.fields import (DeliveryRecord, SenderRecord, delivery_lines, pintvl,
                                 policy_line, sender_line)
from monomail.log.writer import MailLog, prefix_length, str2prt, syslog_parts


def test_pintvl_brief_and_verbose() -> None:
    assert pintvl(0) == "00:00:00"
    assert pintvl(3723) == "01:02:03"
    assert pintvl(2 * 86400 + 5) == "2+00:00:05"
    assert pintvl(0, brief=False) == "zero seconds"
    assert pintvl(8 * 86400 + 3600 + 1, brief=False) == "1 week, 1 day, 1 hour, 1 second"


def test_sender_line_has_sendmails_keys_in_order() -> None:
    rec = SenderRecord("<joe@example.com>", 1234, 2, "localhost [127.0.0.1]",
                       msgid="<x@y>", bodytype="8BITMIME", proto="ESMTP", daemon="MTA")
    assert sender_line(rec) == ("from=<joe@example.com>, size=1234, class=0, nrcpts=2, "
                                "msgid=<x@y>, bodytype=8BITMIME, proto=ESMTP, daemon=MTA, "
                                "relay=localhost [127.0.0.1]")
    assert sender_line(SenderRecord(None, 0, 0, "root@localhost")) == \
        "from=<NONE>, size=0, class=0, nrcpts=0, relay=root@localhost"


def test_delivery_line_keys_and_relay() -> None:
    rec = DeliveryRecord("<ann@example.org>", delay=65, xdelay=1, mailer="esmtp", pri=120345,
                         relay="mx.example.org.", relay_addr="127.0.0.9", dsn="2.0.0",
                         stat="Sent (OK id=1)", ctladdr="<joe@here>", ctl_ids=(1000, 100))
    assert delivery_lines(rec) == [
        "to=<ann@example.org>, ctladdr=<joe@here> (1000/100), delay=00:01:05, xdelay=00:00:01, "
        "mailer=esmtp, pri=120345, relay=mx.example.org. [127.0.0.9], dsn=2.0.0, "
        "stat=Sent (OK id=1)"]


def test_long_recipient_lists_split_at_commas() -> None:
    to = ",".join(f"<user{i:03d}@example.org>" for i in range(80))
    lines = delivery_lines(DeliveryRecord(to, 0, "Sent", mailer="esmtp"))
    assert len(lines) > 1
    assert all(" [more], delay=" in line for line in lines[:-1])
    rebuilt = "".join(line[3:line.index(" [more]") if "[more]" in line else line.index(", delay=")]
                      for line in lines)
    assert rebuilt == to


def test_policy_line() -> None:
    assert policy_line("check_rcpt", "<x@y>", "reject=550 5.7.1 <x@y>... Relaying denied",
                       relay="h [1.2.3.4]") == \
        "ruleset=check_rcpt, arg1=<x@y>, relay=h [1.2.3.4], reject=550 5.7.1 <x@y>... Relaying denied"


def test_str2prt_escapes_like_sendmail() -> None:
    assert str2prt("plain text") == "plain text"
    assert str2prt("a\\b\tc\nd\re\x01f\xe9") == "a\\\\b\\tc\\nd\\re\\001f\\351"


def test_long_lines_split_into_numbered_parts() -> None:
    text = "word, " * 400
    parts = syslog_parts("6AP3HY1D031232", text)
    assert len(parts) > 1
    assert parts[0].startswith("6AP3HY1D031232[1]: word, ") and parts[0].endswith(" ...")
    assert parts[-1].startswith(f"6AP3HY1D031232[{len(parts)}]: ")
    assert all(len(p) + prefix_length(None) <= 1024 for p in parts)
    assert syslog_parts(None, "short") == ["NOQUEUE: short"]


def test_file_destination(tmp_path: Path) -> None:
    log = MailLog(level=9, path=str(tmp_path / "maillog"), clock=lambda: 0.0)
    assert log.enabled(8) and not log.enabled(9)
    log.log(6, "QID", "to=<a@b>, stat=Sent")
    log.close()
    line = (tmp_path / "maillog").read_text()
    assert line.endswith(f" sendmail[{log.pid}]: QID: to=<a@b>, stat=Sent\n")

