"""Reports compared with real sendmail 8.17's, byte for byte.

sendmail runs under `unshare` (root, as in CI) on a cf built by its own m4 with extra
mailers: `fail` exits 67 (EX_NOUSER), `tmp` exits 75 (EX_TEMPFAIL), `capture` keeps what
it is given in a file named after the recipient (so each report sendmail sends lands in a
file), and `refuse` talks SMTP to a next hop on loopback inside the sandbox
(dsn_smtp_peers.py) that refuses chosen recipients and offers no DSN.  The same facts (who
sent to whom, what each mailer answered, which options are set) go through monomail's
policy.plan and report.build, and the result must equal sendmail's report: the fields
sendmail adds (To, MIME-Version, Content-Type, Content-Transfer-Encoding, Subject,
Auto-Submitted) and the whole body.  What the rest of the pipeline makes is taken from
sendmail's report as input: the transcript, the returned message as delivered, the ids
and the clock readings.

One known difference is part of the comparison: several report recipients share one To:
field, where sendmail writes one To: per address (see report.py)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import oracle
import pytest
from flufl.bounce import scan_message

from monomail import sysexits as ex
from monomail.dsn import policy
from monomail.dsn.causes import exit_status
from monomail.dsn.policy import MessageState, Origin, ReportSettings, Timeouts
from monomail.dsn.report import (REPORT_MACROS, MailerTypes, OriginalMessage, Outcome,
                                 RecipientStatus, actual_recipient, build, final_recipient)
from test_dsn_report import expected_failures

HOST = oracle.HOSTNAME
UNIX = MailerTypes("DNS", "RFC822", "X-Unix")      # the T= of the three test mailers
TIMEOUTS = Timeouts(warn_after=4 * 3600, return_after=5 * 86400)   # generic cf's values
LOCAL_USER = f"{pwd.getpwuid(os.getuid()).pw_name}@localhost"      # sendmail's $_

MC = """divert(-1)
divert(0)dnl
OSTYPE(linux)dnl
define(`confDOMAIN_NAME', `{host}')dnl
define(`QUEUE_DIR', `{dir}/q')dnl
define(`ALIAS_FILE', `')dnl
define(`confTIME_ZONE', `USE_TZ')dnl
FEATURE(`nocanonify')dnl
MAILER(local)dnl
MAILER(smtp)dnl
MAILER_DEFINITIONS
{mailers}Mrefuse,	P=[IPC], F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\\r\\n, L=990,
		T=DNS/RFC822/SMTP, A=TCP $h {port}
LOCAL_RULE_0
R$* < @ refuse.test . > $*	$#refuse $@ [127.0.0.1] $: $1 < @ refuse.test . > $2
R$* < @ fail.test . > $*	$#fail $@ localhost $: $1
R$* < @ tmp.test . > $*	$#tmp $@ localhost $: $1
R$* < @ capture.test . > $*	$#capture $@ localhost $: $1
"""
MAILER = ("M{name},\tP={dir}/{name}.sh, F=lsDFMSqn, S=EnvFromL/HdrFromL, R=EnvToL/HdrToL, "
          "T=DNS/RFC822/X-Unix,\n\t\tA={name}.sh $u\n")
SCRIPTS = {
    "fail": 'cat >/dev/null\necho "User unknown here"\nexit 67\n',
    "tmp": 'cat >/dev/null\necho "Try later"\nexit 75\n',
    "capture": 'cat > "{dir}/cap/$1"\n',
}
HOSTS = ("127.0.0.1 localhost\n127.0.0.2 capture.test\n127.0.0.3 fail.test\n127.0.0.4 tmp.test\n"
         "127.0.0.5 refuse.test\n")
NEXT_HOP_PORT = 2525        # in the sandbox's own network namespace
PEERS = Path(__file__).with_name("dsn_smtp_peers.py")

oracle.check_sandbox()


class Sendmail:
    """sendmail on the test cf; every run starts with an empty queue and capture folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.queue = folder / "q"
        self.captured = folder / "cap"
        mailers = "".join(MAILER.format(name=name, dir=folder) for name in SCRIPTS)
        for name, body in SCRIPTS.items():
            script = folder / f"{name}.sh"
            script.write_text("#!/bin/sh\n" + body.format(dir=folder))
            script.chmod(0o755)
        (folder / "hosts").write_text(HOSTS)
        (folder / "service.switch").write_text("hosts files\naliases files\n")
        mc = folder / "dsn.mc"
        mc.write_text(MC.format(host=HOST, dir=folder, mailers=mailers, port=NEXT_HOP_PORT))
        self.cf = oracle.build_sendmail_cf(mc, folder / "dsn.cf", settings_dir=folder)
        self.program = oracle.sendmail_program()

    def argv(self, *args: str) -> list[str]:
        return oracle.sandbox_argv(["timeout", "60", *self.program.argv, "-C", str(self.cf),
                                    *args], [], HOST)

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.program.env}

    def reset(self) -> None:
        for folder in (self.queue, self.captured):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        self.queue.chmod(0o700)
        self.captured.chmod(0o777)

    def run(self, *args: str, data: bytes) -> None:
        subprocess.run(self.argv(*args), input=data, env=self.env(), capture_output=True,
                       timeout=120, check=False)

    def smtp(self, *commands: str) -> None:
        """A `-bs` session, one command at a time after each reply (sendmail refuses
        input that arrives before its greeting)."""
        proc = subprocess.Popen(self.argv("-bs", "-odi"), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=self.env())
        assert proc.stdin is not None and proc.stdout is not None

        def reply() -> str:
            line = proc.stdout.readline().decode()
            while line[3:4] == "-":
                line = proc.stdout.readline().decode()
            return line
        assert reply().startswith("220")
        in_data = False
        for command in commands:
            proc.stdin.write(command.encode() + b"\r\n")
            proc.stdin.flush()
            if in_data and command != ".":
                continue
            answer = reply()
            assert answer[:1] in "23", (command, answer)
            in_data = command == "DATA"
        proc.stdin.close()
        proc.wait(timeout=60)       # its exit code is the delivery's (67 for a failure)

    def smtp_from_network(self, refused: str, *commands: str) -> None:
        """A session from an SMTP client at 127.0.0.1 (dsn_smtp_peers.py), with the
        refuse mailer's next hop answering 550 to `refused` and offering no DSN."""
        argv = oracle.sandbox_argv(
            ["timeout", "60", sys.executable, str(PEERS), str(NEXT_HOP_PORT), refused,
             *self.program.argv, "-C", str(self.cf), "-bs", "-odi"], [], HOST)
        proc = subprocess.run(argv, input="\n".join(commands).encode(), env=self.env(),
                              capture_output=True, timeout=120, check=False)
        assert b"Message accepted" in proc.stderr, proc.stderr.decode(errors="replace")

    def age_queue(self, seconds: int) -> None:
        """Make every queued message look `seconds` old (the qf's T line)."""
        for qf in self.queue.glob("qf*"):
            text = qf.read_text(encoding="latin-1")
            text = re.sub(r"^T\d+$", f"T{int(time.time()) - seconds}", text, flags=re.M)
            qf.write_text(text, encoding="latin-1")

    def report_for(self, user: str) -> bytes:
        return (self.captured / user).read_bytes()


@pytest.fixture(scope="module", autouse=True)
def time_zone() -> Iterator[None]:
    """Both programs write dates in a zone other than GMT (sendmail keeps the caller's TZ
    with TimeZoneSpec empty), so that the offset is compared too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "EST5")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture(scope="module")
def sendmail(bt_work_root: Path) -> Sendmail:
    folder = bt_work_root / "dsn"
    folder.mkdir()
    return Sendmail(folder)


@dataclass
class Theirs:
    """sendmail's report, split where monomail's comparison needs it."""

    raw: bytes

    @property
    def head(self) -> str:
        return self.raw.partition(b"\n\n")[0].decode()

    @property
    def body(self) -> bytes:
        return self.raw.partition(b"\n\n")[2]

    @property
    def fields(self) -> list[tuple[str, str]]:
        """The fields returntosender adds, To: lines merged into one."""
        found: list[tuple[str, str]] = []
        for name, value in re.findall(r"^([\w-]+): (.*(?:\n\t.*)*)", self.head, re.M):
            if name in ("Received", "Date", "From", "Message-Id"):
                continue
            if name == "To" and found and found[0][0] == "To":
                found[0] = ("To", f"{found[0][1]}, {value}")
            else:
                found.append((name, value))
        return found

    @property
    def boundary(self) -> str:
        match = re.search(r'boundary="([^"]+)"', self.head)
        assert match, self.head
        return match.group(1)

    @property
    def report_id(self) -> str:
        return self.boundary.partition(".")[0]

    @property
    def now(self) -> float:
        return float(self.boundary.partition(".")[2].partition("/")[0])

    def part(self, index: int) -> bytes:
        """The index-th part: 1 the text, 2 the delivery status, 3 the returned message."""
        return self.body.split(f"--{self.boundary}".encode())[index]

    def dates(self, name: str) -> list[float]:
        """The dates of a field of the delivery-status part, in order."""
        text = self.part(2).decode(errors="replace")
        return [email.utils.parsedate_to_datetime(v).timestamp()
                for v in re.findall(rf"^{name}: (.*)$", text, re.M)]

    @property
    def transcript(self) -> str:
        text = self.body.decode(errors="surrogateescape")
        start = text.index("   ----- Transcript of session follows -----\n")
        start += len("   ----- Transcript of session follows -----\n")
        return text[start:text.index(f"\n\n--{self.boundary}\n", start)] + "\n"

    @property
    def returned(self) -> bytes:
        """The returned message or header as sendmail wrote it."""
        return self.part(3).partition(b"\n\n")[2].removesuffix(b"\n")


def failed(user: str, domain: str, printable: str | None = None,
           **fields: object) -> RecipientStatus:
    """A recipient the fail mailer refused, as the delivery stage would describe it."""
    address = printable or f"{user}@{domain}"
    return replace(RecipientStatus(
        address=address, outcome=Outcome.FAILED,
        final_recipient=final_recipient(user, address, HOST, "RFC822"),
        status=exit_status(ex.EX_NOUSER), diagnostic=str(ex.EX_NOUSER),
        actual_recipient=actual_recipient(user, UNIX, HOST), types=UNIX), **fields)


def compare(theirs: Theirs, planned: policy.PlannedReport, original: OriginalMessage,
            returned_failures: frozenset[bytes] = frozenset()) -> None:
    """Build monomail's report from the plan and sendmail's inputs; it must be sendmail's.
    The attempt times of the reported recipients are read from sendmail's report.
    returned_failures: what flufl.bounce also finds in a returned report."""
    attempts = iter(theirs.dates("Last-Attempt-Date"))
    recipients = tuple(r if r.outcome in (Outcome.QUEUED, Outcome.SENT)
                       else replace(r, last_attempt=next(attempts)) for r in planned.recipients)
    assert next(attempts, None) is None
    request = policy.to_request(
        replace(planned, recipients=recipients), original, report_id=theirs.report_id,
        hostname=HOST, transcript=theirs.transcript, now=theirs.now, timeouts=TIMEOUTS)
    ours = build(request)
    assert list(ours.headers) == theirs.fields
    assert ours.body.decode(errors="replace") == theirs.body.decode(errors="replace")
    assert ours.body == theirs.body
    parsed = [email.message_from_bytes(raw, policy=email.policy.default)
              for raw in (ours.as_bytes(), theirs.raw)]
    expected = expected_failures(request) | returned_failures
    assert scan_message(parsed[0]) == scan_message(parsed[1]) == expected


def original_from(theirs: Theirs, received_from: str = LOCAL_USER,
                  **fields: object) -> OriginalMessage:
    arrival = theirs.dates("Arrival-Date")[0]
    returned = theirs.returned
    qid = re.search(rb"\bid (\w{14})\b", returned)
    assert qid, returned
    return replace(OriginalMessage(qid=qid.group(1).decode(), arrival=arrival,
                                   received_from=received_from, data=returned), **fields)


def with_body(original: OriginalMessage, body: bytes) -> OriginalMessage:
    """sendmail returned only the header: give monomail the whole message it had."""
    assert original.data is not None
    return replace(original, data=original.data + b"\n" + body)


def plan(recipients: tuple[RecipientStatus, ...], arrival: float, now: float,
         settings: ReportSettings = ReportSettings(), **fields: object) -> policy.Plan:
    message = replace(MessageState(sender="joe@capture.test", origin=Origin.MESSAGE,
                                   arrival=arrival, recipients=recipients), **fields)
    return policy.plan(message, TIMEOUTS, settings, now)


# --- the cases --------------------------------------------------------------------------------

def test_command_line_failure(sendmail: Sendmail) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-f", "joe@capture.test", "bob@fail.test", "ann@fail.test",
                 data=b"Subject: test one\nFrom: Joe <joe@capture.test>\n\nHello body\n")
    theirs = Theirs(sendmail.report_for("joe"))
    original = original_from(theirs)
    result = plan((failed("bob", "fail.test"), failed("ann", "fail.test")), original.arrival,
                  theirs.now)
    assert result.sender_report is not None and result.remove
    compare(theirs, result.sender_report, original)


def test_smtp_dsn_parameters_failure_and_success(sendmail: Sendmail) -> None:
    """RET=HDRS, ENVID and ORCPT in xtext, NOTIFY=SUCCESS on a delivered recipient."""
    sendmail.reset()
    sendmail.smtp("EHLO client.example", "MAIL FROM:<joe@capture.test> RET=HDRS ENVID=QQ+2B314",
                  "RCPT TO:<bob@fail.test> ORCPT=rfc822;Bob+2BX@orig.example NOTIFY=FAILURE,DELAY",
                  "RCPT TO:<ann@capture.test> NOTIFY=SUCCESS",
                  "DATA", "Subject: hdrs", "", "secret body", ".", "QUIT")
    theirs = Theirs(sendmail.report_for("joe"))
    assert b"secret body" not in theirs.raw
    ann = RecipientStatus("<ann@capture.test>", Outcome.DELIVERED,
                          final_recipient("ann", "<ann@capture.test>", HOST, "RFC822"),
                          notify=("SUCCESS",), status="2.1.5",
                          actual_recipient=actual_recipient("ann", UNIX, HOST), types=UNIX)
    bob = failed("bob", "fail.test", "<bob@fail.test>", notify=("FAILURE", "DELAY"),
                 orcpt="rfc822;Bob+2BX@orig.example")
    original = original_from(theirs, envid="QQ+2B314")
    original = with_body(original, b"secret body\n")
    result = plan((bob, ann), original.arrival, theirs.now, sender="<joe@capture.test>",
                  ret="HDRS")
    assert result.receipt is None and result.sender_report is not None
    compare(theirs, result.sender_report, original)


def test_return_receipt(sendmail: Sendmail) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-N", "success", "-f", "joe@capture.test", "ann@capture.test",
                 data=b"Subject: rr\n\nbody\n")
    theirs = Theirs(sendmail.report_for("joe"))
    ann = RecipientStatus("ann@capture.test", Outcome.DELIVERED,
                          final_recipient("ann", "ann@capture.test", HOST, "RFC822"),
                          notify=("SUCCESS",), actual_recipient=actual_recipient("ann", UNIX, HOST),
                          types=UNIX)
    original = original_from(theirs)
    original = with_body(original, b"body\n")
    result = plan((ann,), original.arrival, theirs.now)
    assert result.sender_report is None and result.receipt is not None
    compare(theirs, result.receipt, original)


def queued(user: str) -> RecipientStatus:
    return RecipientStatus(f"{user}@tmp.test", Outcome.QUEUED,
                           final_recipient(user, f"{user}@tmp.test", HOST, "RFC822"),
                           status=exit_status(ex.EX_TEMPFAIL), diagnostic=str(ex.EX_TEMPFAIL),
                           actual_recipient=actual_recipient(user, UNIX, HOST), types=UNIX)


@pytest.mark.parametrize("age, kind", [(5 * 3600, "warning"), (6 * 86400, "expiry")])
def test_queue_timeouts(sendmail: Sendmail, age: int, kind: str) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-f", "joe@capture.test", "carl@tmp.test", "dora@tmp.test",
                 data=b"Subject: delayed\n\nbody\n")
    sendmail.age_queue(age)
    sendmail.run("-qf", "-oem", data=b"")
    theirs = Theirs(sendmail.report_for("joe"))
    original = original_from(theirs)
    # sendmail reads its queue file's recipients back in reverse order
    result = plan((queued("dora"), queued("carl")), original.arrival, theirs.now)
    assert theirs.transcript.endswith("\n".join(result.transcript) + "\n")
    assert result.sender_report is not None
    assert result.remove is (kind == "expiry")
    assert result.warning_sent is (kind == "warning")
    compare(theirs, result.sender_report, original)


def test_double_bounce(sendmail: Sendmail) -> None:
    """The sender's address fails too: the report about the report goes to
    DoubleBounceAddress with everything returned."""
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-ODoubleBounceAddress=dbl@capture.test", "-f", "joe@fail.test",
                 "bob@fail.test", data=b"Subject: dbl\n\nbody\n")
    assert sorted(p.name for p in sendmail.captured.iterdir()) == ["dbl"]
    theirs = Theirs(sendmail.report_for("dbl"))
    bounce_macros = dict(REPORT_MACROS)
    original = original_from(theirs, received_from=bounce_macros["_"])
    result = plan((failed("joe", "fail.test"),), original.arrival, theirs.now,
                  settings=ReportSettings(double_bounce_address="dbl@capture.test"),
                  sender="", origin=Origin.REPORT)
    assert result.sender_report is not None and result.sender_report.postmaster
    # flufl.bounce also reads the returned report, which is about bob
    compare(theirs, result.sender_report, original, frozenset({b"bob@fail.test"}))
    dropped = plan((failed("dbl", "capture.test"),), original.arrival, theirs.now,
                   sender="", origin=Origin.POSTMASTER_REPORT)
    assert dropped.reports == () and dropped.log == (policy.DOUBLE_BOUNCE_DROPPED,)


def test_postmaster_copy_of_an_eight_bit_message(sendmail: Sendmail) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-OPostmasterCopy=pmc@capture.test", "-f", "joe@capture.test",
                 "bob@fail.test", data="Subject: pmc\n\nbody caf\xe9\n".encode())
    settings = ReportSettings(postmaster_copy="pmc@capture.test")
    to_sender = Theirs(sendmail.report_for("joe"))
    original = original_from(to_sender)
    result = plan((failed("bob", "fail.test"),), original.arrival, to_sender.now, settings=settings)
    assert result.sender_report is not None and result.postmaster_copy is not None
    compare(to_sender, result.sender_report, original)
    copy = Theirs(sendmail.report_for("pmc"))
    compare(copy, result.postmaster_copy, original)


def test_bulk_precedence_returns_headers_and_copies_nobody(sendmail: Sendmail) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-OPostmasterCopy=pmc@capture.test", "-f", "joe@capture.test",
                 "bob@fail.test", data=b"Subject: bulk\nPrecedence: bulk\n\nbulk body\n")
    assert sorted(p.name for p in sendmail.captured.iterdir()) == ["joe"]
    theirs = Theirs(sendmail.report_for("joe"))
    original = original_from(theirs)
    original = with_body(original, b"bulk body\n")
    result = plan((failed("bob", "fail.test"),), original.arrival, theirs.now,
                  settings=ReportSettings(postmaster_copy="pmc@capture.test"), precedence=-60)
    assert result.postmaster_copy is None and result.sender_report is not None
    compare(theirs, result.sender_report, original)


def test_errors_to(sendmail: Sendmail) -> None:
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-OUseErrorsTo=true", "-f", "joe@capture.test", "bob@fail.test",
                 data=b"Subject: et\nErrors-To: err@capture.test\n\nbody\n")
    assert sorted(p.name for p in sendmail.captured.iterdir()) == ["err", "joe"]
    theirs = Theirs(sendmail.report_for("joe"))
    assert sendmail.report_for("err") == theirs.raw
    original = original_from(theirs)
    result = plan((failed("bob", "fail.test"),), original.arrival, theirs.now,
                  errors_to=("err@capture.test",))
    assert result.sender_report is not None
    compare(theirs, result.sender_report, original)


def test_smtp_next_hop_refuses_and_relays(sendmail: Sendmail) -> None:
    """Received over SMTP from 127.0.0.1; the next hop refuses one recipient (Remote-MTA,
    Diagnostic-Code: SMTP) and takes the other without offering DSN (relayed)."""
    sendmail.reset()
    sendmail.smtp_from_network("<bob@refuse.test>", "EHLO client.example",
                               "MAIL FROM:<joe@capture.test> ENVID=e1",
                               "RCPT TO:<bob@refuse.test>",
                               "RCPT TO:<ann@refuse.test> NOTIFY=SUCCESS,FAILURE",
                               "DATA", "Subject: via smtp", "", "body", ".", "QUIT")
    theirs = Theirs(sendmail.report_for("joe"))
    smtp = MailerTypes("DNS", "RFC822", "SMTP")
    bob = RecipientStatus(
        "<bob@refuse.test>", Outcome.FAILED,
        final_recipient("bob@refuse.test", "<bob@refuse.test>", HOST, "RFC822"),
        status="5.1.1", diagnostic="550 5.1.1 <bob@refuse.test>... No such user here",
        remote_mta="[127.0.0.1]", types=smtp,
        actual_recipient=actual_recipient("bob@refuse.test", smtp, HOST))
    ann = RecipientStatus(
        "<ann@refuse.test>", Outcome.RELAYED,
        final_recipient("ann@refuse.test", "<ann@refuse.test>", HOST, "RFC822"),
        notify=("SUCCESS", "FAILURE"), diagnostic="250 ok", remote_mta="[127.0.0.1]",
        types=smtp, actual_recipient=actual_recipient("ann@refuse.test", smtp, HOST))
    original = original_from(theirs, received_from="localhost [127.0.0.1]", envid="e1",
                             client_host="localhost", client_types=UNIX)
    result = plan((bob, ann), original.arrival, theirs.now, sender="<joe@capture.test>")
    assert result.receipt is None and result.sender_report is not None
    compare(theirs, result.sender_report, original)


@pytest.mark.parametrize("options, headers, age, state", [
    (["-N", "never"], b"", 0, {}),
    ([], b"Precedence: bulk\n", 5 * 3600, {"precedence": -60}),
    (["-N", "failure"], b"", 5 * 3600, {}),
    ([], b"", 5 * 3600, {"warning_sent": True}),
], ids=["notify-never", "bulk-warning", "failure-only-warning", "second-warning"])
def test_no_report(sendmail: Sendmail, options: list[str], headers: bytes, age: int,
                   state: dict[str, object]) -> None:
    """Where sendmail stays silent, so does the plan."""
    sendmail.reset()
    user = "bob@fail.test" if age == 0 else "carl@tmp.test"
    sendmail.run("-odi", "-oem", *options, "-f", "joe@capture.test", user,
                 data=b"Subject: quiet\n" + headers + b"\nbody\n")
    if age:
        sendmail.age_queue(age)
        if state.get("warning_sent"):
            sendmail.run("-qf", "-oem", data=b"")
            assert (sendmail.captured / "joe").exists()
            (sendmail.captured / "joe").unlink()
        sendmail.run("-qf", "-oem", data=b"")
    assert list(sendmail.captured.iterdir()) == []
    notify = tuple(o.upper() for o in options[1:])
    recipient = (replace(failed("bob", "fail.test"), notify=notify) if age == 0
                 else replace(queued("carl"), notify=notify))
    now = time.time()
    assert plan((recipient,), now - age, now, **state).reports == ()
