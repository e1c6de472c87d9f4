"""The report builder: every report is read back with Python's `email` package
(policy.default) and checked field by field, and flufl.bounce must find exactly the
failed recipients in every failure report.  The sendmail comparison is in
test_dsn_oracle.py."""

from __future__ import annotations

import email
import email.policy
import email.utils
import time
from dataclasses import replace
from email.message import EmailMessage, Message

import pytest
from flufl.bounce import all_failures, scan_message
from hypothesis import given
from hypothesis import strategies as st

from monomail.arpadate import arpadate
from monomail.dsn import xtext
from monomail.dsn.report import (MAX_BOUNDARY, MailerTypes, OriginalMessage, Outcome,
                                 RecipientStatus, Report, ReportRequest, actual_recipient,
                                 build, default_leading_headers, final_recipient,
                                 subject_and_kind)

HOST = "mail.example.com"
NOW = 1_795_582_341.0
ARRIVED = NOW - 600
SMTP = MailerTypes("DNS", "RFC822", "SMTP")
BODY = b"The secret body line\n"
ORIGINAL = OriginalMessage(
    qid="6AP4qLIL028042", arrival=ARRIVED, received_from="client.example [127.0.0.2]",
    data=b"Received: from client.example\nFrom: Joe <joe@example.com>\nSubject: hello\n\n" + BODY,
    client_host="client.example", client_types=SMTP)


def failed(user: str, **fields: object) -> RecipientStatus:
    return replace(RecipientStatus(
        address=f"<{user}@example.org>", outcome=Outcome.FAILED,
        final_recipient=f"RFC822; {user}@example.org", status="5.1.1",
        diagnostic=f"550 5.1.1 <{user}@example.org>... User unknown",
        remote_mta="mx.example.org.", types=SMTP, last_attempt=NOW - 5), **fields)


def request(*recipients: RecipientStatus, **fields: object) -> ReportRequest:
    return replace(ReportRequest(
        report_id="6AP4qLIM028042", hostname=HOST, to=("<joe@example.com>",),
        message="User unknown", original=ORIGINAL, recipients=recipients or (failed("bob"),),
        transcript="... while talking to mx.example.org.:\n>>> RCPT To:<bob@example.org>\n"
                   "<<< 550 5.1.1 <bob@example.org>... User unknown\n",
        now=NOW, retry_until=ARRIVED + 5 * 86400), **fields)


def whole(report: Report) -> bytes:
    return report.as_bytes(default_leading_headers(HOST, "6AP4qLIM028042", NOW))


def expected_failures(req: ReportRequest) -> set[bytes]:
    """What a bounce processor should find: each failed recipient that asked to hear of
    failure, by its ORCPT address when it has an rfc822 one."""
    found = set()
    for r in req.recipients:
        if r.outcome is Outcome.FAILED and r.wants("FAILURE"):
            kind, _, value = (r.orcpt or "").partition(";")
            address = xtext.decode_text(value) if kind.lower() == "rfc822" else \
                r.final_recipient.partition("; ")[2]
            found.add(address.encode())
    return found


def parse(report: Report, req: ReportRequest, bounce_check: bool = True) -> EmailMessage:
    """Read back with the strict modern parser; any defect anywhere fails the test, and
    flufl.bounce must find exactly the failed recipients."""
    message = email.message_from_bytes(whole(report), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
    if bounce_check:
        assert scan_message(message) == expected_failures(req)
    return message


def read(req: ReportRequest) -> EmailMessage:
    return parse(build(req), req)


def parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    return payload


def blocks(message: Message) -> list[Message]:
    """The header blocks of the message/delivery-status part."""
    status = parts(message)[1]
    return parts(status)


def text_lines(message: Message) -> list[str]:
    text = parts(message)[0]
    return text.get_payload(decode=True).decode("utf-8").split("\n")


def as_date(value: str) -> float:
    return email.utils.parsedate_to_datetime(value).timestamp()


def test_failure_report_field_by_field() -> None:
    req = request()
    report = build(req)
    message = parse(report, req)
    assert [a.addr_spec for a in message["To"].addresses] == ["joe@example.com"]
    assert message["From"] == "Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>"
    assert message["Subject"] == "Returned mail: see transcript for details"
    assert message["Auto-Submitted"] == "auto-generated (failure)"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert message.get_boundary() == "6AP4qLIM028042.1795582341/mail.example.com"
    assert "Content-Transfer-Encoding" not in message
    assert [p.get_content_type() for p in parts(message)] == [
        "text/plain", "message/delivery-status", "message/rfc822"]
    per_message, bob = blocks(message)
    assert per_message["Reporting-MTA"] == "dns; mail.example.com"
    assert per_message["Received-From-MTA"] == "DNS; client.example"
    assert as_date(per_message["Arrival-Date"]) == ARRIVED
    assert "Original-Envelope-Id" not in per_message
    assert bob["Final-Recipient"] == "RFC822; bob@example.org"
    assert bob["Action"] == "failed"
    assert bob["Status"] == "5.1.1"
    assert bob["Remote-MTA"] == "DNS; mx.example.org"
    assert bob["Diagnostic-Code"] == "SMTP; 550 5.1.1 <bob@example.org>... User unknown"
    assert as_date(bob["Last-Attempt-Date"]) == NOW - 5
    assert "Will-Retry-Until" not in bob
    assert scan_message(message) == {b"bob@example.org"}


def test_text_part_wording() -> None:
    lines = text_lines(read(request()))
    assert lines[:11] == [
        f"The original message was received at {arpadate(ARRIVED)}",
        "from client.example [127.0.0.2]",
        "",
        "   ----- The following addresses had permanent fatal errors -----",
        "<bob@example.org>",
        "    (reason: 550 5.1.1 <bob@example.org>... User unknown)",
        "",
        "   ----- Transcript of session follows -----",
        "... while talking to mx.example.org.:",
        ">>> RCPT To:<bob@example.org>",
        "<<< 550 5.1.1 <bob@example.org>... User unknown",
    ]


def test_returned_message_is_the_original() -> None:
    returned = parts(read(request()))[2]
    inner = returned.get_payload()[0]
    assert inner["Subject"] == "hello"
    assert inner.get_payload() == BODY.decode()


def test_headers_only_when_the_body_is_not_returned() -> None:
    req = request(return_body=False)
    report = build(req)
    message = parse(report, req)
    third = parts(message)[2]
    assert third.get_content_type() == "text/rfc822-headers"
    assert "Subject: hello" in third.get_content()
    assert b"secret body" not in whole(report)
    assert scan_message(message) == {b"bob@example.org"}


def test_no_data_file_means_no_returned_part() -> None:
    message = read(request(original=replace(ORIGINAL, data=None)))
    assert [p.get_content_type() for p in parts(message)] == [
        "text/plain", "message/delivery-status"]


def test_mixed_outcomes_in_one_report() -> None:
    recipients = (
        failed("bob"),
        failed("cat", notify=("FAILURE", "DELAY")),
        failed("never", notify=("SUCCESS",)),        # failed, but did not ask to hear of it
        RecipientStatus("<ann@example.org>", Outcome.DELIVERED, "RFC822; ann@example.org",
                        notify=("SUCCESS",), last_attempt=NOW),
        RecipientStatus("<dan@example.org>", Outcome.DELIVERED, "RFC822; dan@example.org"),
        RecipientStatus("<eve@example.org>", Outcome.QUEUED, "RFC822; eve@example.org"),
        RecipientStatus("<fay@example.org>", Outcome.SENT, "RFC822; fay@example.org",
                        notify=("SUCCESS",)),
        RecipientStatus("<gus@example.org>", Outcome.RELAYED, "RFC822; gus@example.org",
                        notify=("SUCCESS", "FAILURE"), remote_mta="old.example.org"),
        RecipientStatus("<list@example.org>", Outcome.EXPANDED, "RFC822; list@example.org"),
    )
    message = read(request(*recipients))
    found = [(b["Final-Recipient"].split("; ")[1], b["Action"], b["Status"])
             for b in blocks(message)[1:]]
    assert found == [
        ("bob@example.org", "failed", "5.1.1"),
        ("cat@example.org", "failed", "5.1.1"),
        ("ann@example.org", "delivered (to mailbox)", "2.1.5"),
        ("gus@example.org", "relayed (to non-DSN-aware mailer)", "2.0.0"),
        ("list@example.org", "expanded (to multi-recipient alias)", "2.0.0"),
    ]
    assert scan_message(message) == {b"bob@example.org", b"cat@example.org"}
    lines = text_lines(message)
    successes = lines.index(
        "   ----- The following addresses had successful delivery notifications -----")
    assert lines[successes + 1:successes + 4] == [
        "<ann@example.org>  (successfully delivered to mailbox)",
        "<gus@example.org>  (relayed to non-DSN-aware mailer)",
        "",
    ]
    assert "<never@example.org>" not in lines


def test_delay_warning() -> None:
    delayed = RecipientStatus("<bob@example.org>", Outcome.DELAYED, "RFC822; bob@example.org",
                              status="4.4.1", diagnostic="451 4.4.1 reply timeout",
                              remote_mta="mx.example.org", types=SMTP)
    message = read(request(
        delayed, message="Warning: could not send message for past 4 hours",
        transcript="Warning: message still undelivered after 4 hours\n"
                   "Will keep trying until message is 5 days old\n"))
    assert message["Subject"] == "Warning: could not send message for past 4 hours"
    assert message["Auto-Submitted"] == "auto-generated (warning-timeout)"
    lines = text_lines(message)
    assert lines[0:5] == [
        "    **********************************************",
        "    **      THIS IS A WARNING MESSAGE ONLY      **",
        "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **",
        "    **********************************************",
        "",
    ]
    block = blocks(message)[1]
    assert block["Action"] == "delayed"
    assert block["Status"] == "4.4.1"
    assert as_date(block["Will-Retry-Until"]) == ARRIVED + 5 * 86400
    temporary, permanent = all_failures(message)
    assert (temporary, permanent) == ({b"bob@example.org"}, set())


def test_return_receipt() -> None:
    ann = RecipientStatus("ann@example.org", Outcome.DELIVERED, "RFC822; ann@example.org",
                          notify=("SUCCESS",), actual_recipient="rfc822; ann@mail.example.com",
                          types=MailerTypes("DNS", "RFC822", "X-Unix"))
    message = read(request(ann, message="Return receipt", return_body=False,
                                  error_header="Local policy text"))
    assert message["Subject"] == "Return receipt"
    assert message["Auto-Submitted"] == "auto-generated (return-receipt)"
    lines = text_lines(message)
    assert "THIS IS A WARNING MESSAGE ONLY" not in "\n".join(lines)
    assert "Local policy text" not in lines
    block = blocks(message)[1]
    assert block["X-Actual-Recipient"] == "rfc822; ann@mail.example.com"
    assert (block["Action"], block["Status"]) == ("delivered (to mailbox)", "2.1.5")
    assert scan_message(message) == set()


def test_postmaster_notification() -> None:
    message = read(request(postmaster=True, to=("postmaster",)))
    assert message["Subject"] == "Postmaster notify: see transcript for details"
    assert message["Auto-Submitted"] == "auto-generated (postmaster-notification)"
    assert text_lines(message)[0:4] == [
        f"The original message was received at {arpadate(ARRIVED)}",
        "from client.example [127.0.0.2]",
        "with id 6AP4qLIL028042",
        "",
    ]


@pytest.mark.parametrize("message, postmaster, subject, kind", [
    ("User unknown", False, "Returned mail: see transcript for details", "failure"),
    ("Warning: x", True, "Warning: x", "warning-timeout"),
    ("Postmaster warning: y", False, "Postmaster warning: y", "postmaster-warning"),
    ("Return receipt", False, "Return receipt", "return-receipt"),
    ("Return receipts", False, "Returned mail: see transcript for details", "failure"),
    ("anything", True, "Postmaster notify: see transcript for details", "postmaster-notification"),
    ("Warning:\r\nBcc: x", False, "Warning:  Bcc: x", "warning-timeout"),
])
def test_subjects(message: str, postmaster: bool, subject: str, kind: str) -> None:
    assert subject_and_kind(message, postmaster) == (subject, kind)


def test_error_header_transcript_unavailable_and_expanded_from() -> None:
    bob = failed("bob", expanded_from="<team@example.com>")
    lines = text_lines(read(request(bob, transcript=None,
                                           error_header="Our policy:\nsee the web\n")))
    assert lines[3:6] == ["Our policy:", "see the web", ""]
    assert "    (expanded from: <team@example.com>)" in lines
    assert "   ----- Transcript of session is unavailable -----" in lines


def test_only_primary_recipients_report_success_or_delay() -> None:
    child = RecipientStatus("<x@example.org>", Outcome.DELIVERED, "RFC822; team@example.org",
                            notify=("SUCCESS",), primary=False)
    child_failed = failed("y", primary=False)
    message = read(request(child, child_failed))
    assert [b["Action"] for b in blocks(message)[1:]] == ["failed"]
    assert "<x@example.org>  (successfully delivered to mailbox)" not in text_lines(message)


ATOM = r"[A-Za-z0-9!#$%&'*+/?^_`{|}~-]+"     # atext without "=", which flufl.bounce
#                                              reads as a MIME parameter's "=" (a flufl bug)


@given(st.from_regex(rf"{ATOM}(\.{ATOM})*", fullmatch=True))
def test_orcpt_xtext_is_decoded(local: str) -> None:
    """A dot-atom local part, xtext-encoded in ORCPT, comes back decoded, and is what
    a bounce processor reports."""
    address = f"{local}@orig.example"
    bob = failed("bob", orcpt="rfc822;" + xtext.encode(address))
    message = read(request(bob))
    assert blocks(message)[1]["Original-Recipient"] == f"rfc822;{address}"
    raw = whole(build(request(bob))).decode()
    assert f"\nOriginal-Recipient: rfc822;{address}\n" in raw


@given(st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="@"),
               min_size=1, max_size=40))
def test_orcpt_any_printable_is_decoded(local: str) -> None:
    """Printable ASCII that is no address for RFC 5322 (bounce processors read it their
    own way, so they are not asked) still comes back exactly."""
    address = f"{local}@orig.example"
    req = request(failed("bob", orcpt="rfc822;" + xtext.encode(address)))
    message = parse(build(req), req, bounce_check=False)
    assert blocks(message)[1]["Original-Recipient"] == f"rfc822;{address}"


def test_orcpt_is_what_bounce_processors_report() -> None:
    bob = failed("bob", orcpt="rfc822;Bob+2BLists@orig.example")
    message = read(request(bob))
    assert blocks(message)[1]["Original-Recipient"] == "rfc822;Bob+Lists@orig.example"
    assert scan_message(message) == {b"Bob+Lists@orig.example"}


@pytest.mark.parametrize("orcpt, shown", [
    ("rfc822;a+0D+0AX-Evil:+201@x", "rfc822;a+0D+0AX-Evil:+201@x"),   # CR LF stays xtext
    ("rfc822;caf+C3+A9@x", "rfc822;caf+C3+A9@x"),                     # no SMTPUTF8: xtext
    ("rfc822;bad+zz@x", "rfc822;bad+zz@x"),                           # not xtext: as is
    ("x-local;+41bc", "x-local;Abc"),
])
def test_orcpt_that_would_break_the_report(orcpt: str, shown: str) -> None:
    req = request(failed("bob", orcpt=orcpt))
    message = parse(build(req), req, bounce_check=False)
    block = blocks(message)[1]
    assert block["Original-Recipient"] == shown
    assert "X-Evil" not in block


def test_orcpt_utf8_with_smtputf8() -> None:
    original = replace(ORIGINAL, smtputf8=True)
    req = request(failed("bob", orcpt="utf-8;caf+C3+A9@x"), original=original)
    report = build(req)
    raw = whole(report)
    assert "Original-Recipient: utf-8;café@x".encode() in raw
    message = parse(report, req)
    assert [p.get_content_type() for p in parts(message)] == [
        "text/plain", "message/global-delivery-status", "message/global"]


@pytest.mark.parametrize("envid, shown", [
    ("QQ+2B314", "QQ+314"),
    ("a+3Db+20c", "a=b c"),
    ("tab+09x", "tab+09x"),
    ("plain", "plain"),
])
def test_envid(envid: str, shown: str) -> None:
    message = read(request(original=replace(ORIGINAL, envid=envid)))
    assert blocks(message)[0]["Original-Envelope-Id"] == shown


def test_control_characters_cannot_add_fields() -> None:
    bob = failed("bob", diagnostic="550 no\r\nX-Evil: 1", remote_mta="mx\nX-Evil: 2")
    message = read(request(bob))
    block = blocks(message)[1]
    assert "X-Evil" not in block
    assert block["Diagnostic-Code"] == "SMTP; 550 no  X-Evil: 1"


def test_eight_bit_original() -> None:
    original = replace(ORIGINAL, data="From: joe@example.com\nSubject: caf\xe9\n\nna\xefve body\n"
                       .encode("utf-8"))
    req = request(original=original)
    report = build(req)
    assert ("Content-Transfer-Encoding", "8bit") in report.headers
    message = parse(report, req)
    returned = parts(message)[2]
    assert returned["Content-Transfer-Encoding"] == "8bit"
    inner = returned.get_payload()[0]
    assert inner.get_payload(decode=True).decode("utf-8") == "na\xefve body\n"
    assert scan_message(message) == {b"bob@example.org"}
    headers_only = read(request(original=original, return_body=False))
    assert parts(headers_only)[2]["Content-Transfer-Encoding"] == "8bit"


def test_binary_original_keeps_its_encoding() -> None:
    original = replace(ORIGINAL, data=b"Content-Transfer-Encoding: BINARY\n\nbin\x00ary\n")
    report = build(request(original=original))
    assert ("Content-Transfer-Encoding", "binary") in report.headers
    assert b"Content-Type: message/rfc822\nContent-Transfer-Encoding: binary\n" in report.body


def test_crlf_original_is_returned_with_lf() -> None:
    original = replace(ORIGINAL, data=b"Subject: crlf\r\n\r\nline one\r\nline two")
    report = build(request(original=original))
    assert b"\r" not in report.body
    assert report.body.endswith(b"Subject: crlf\n\nline one\nline two\n\n--"
                                + report.boundary.encode() + b"--\n\n")


def test_boundary_never_occurs_inside() -> None:
    first = build(request())
    tricky = replace(ORIGINAL, data=b"Subject: x\n\n--" + first.boundary.encode() + b"\nafter\n")
    req = request(original=tricky)
    report = build(req)
    assert report.boundary != first.boundary
    message = parse(report, req)
    assert len(parts(message)) == 3
    assert "after" in parts(message)[2].get_payload()[0].get_payload()


def test_boundary_length_with_a_long_host_name() -> None:
    host = "a" * 60 + ".example.com"
    req = request(hostname=host)
    report = build(req)
    assert len(report.boundary) <= MAX_BOUNDARY
    assert parse(report, req).get_boundary() == report.boundary


def test_several_report_recipients_share_one_to_field() -> None:
    message = read(request(to=("errors@example.com", "<joe@example.com>")))
    assert len(message.get_all("To")) == 1
    assert [a.addr_spec for a in message["To"].addresses] == [
        "errors@example.com", "joe@example.com"]


def test_actual_recipient_only_when_different() -> None:
    same = failed("bob", actual_recipient="RFC822; bob@example.org")
    assert "X-Actual-Recipient" not in blocks(read(request(same)))[1]
    hidden = failed("bob", actual_recipient="rfc822; bob@mail.example.com")
    block = blocks(read(request(hidden, show_actual_recipient=False)))[1]
    assert "X-Actual-Recipient" not in block


@pytest.mark.parametrize("user, printable, sender_type, expected", [
    ("bob@example.org", "<bob@example.org>", "RFC822", "RFC822; bob@example.org"),
    ("bob", "<bob@example.org>", "RFC822", "RFC822; bob@example.org"),
    ("bob", "bob", "RFC822", "RFC822; bob@mail.example.com"),
    ("bob", "<bob>", "rfc822", "rfc822; bob@mail.example.com"),
    ("x400:bob", "x400:bob", "X-X400", "X-Local; x400:bob"),
    ("b\xf6b@example.org", "<b\xf6b@example.org>", "RFC822", "utf-8; b\xf6b@example.org"),
])
def test_final_recipient(user: str, printable: str, sender_type: str, expected: str) -> None:
    assert final_recipient(user, printable, HOST, sender_type, "X-Local") == expected


@pytest.mark.parametrize("user, types, expected", [
    ("bob", MailerTypes("DNS", "RFC822", "X-Unix"), "rfc822; bob@mail.example.com"),
    ("bob@example.org", SMTP, "rfc822; bob@example.org"),
    ("|/bin/prog", MailerTypes("X-Unix", "X-Unix", "X-Unix"), "X-Unix; |/bin/prog"),
])
def test_actual_recipient(user: str, types: MailerTypes, expected: str) -> None:
    assert actual_recipient(user, types, HOST) == expected


def test_default_leading_headers() -> None:
    fields = dict(default_leading_headers(HOST, "6AP4qLIM028042", NOW))
    assert fields["From"] == "Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>"
    assert as_date(fields["Date"]) == NOW
    stamp = time.strftime("%Y%m%d%H%M", time.gmtime(NOW))     # sendmail's $t is UTC
    assert fields["Message-Id"] == f"<{stamp}.6AP4qLIM028042@mail.example.com>"
