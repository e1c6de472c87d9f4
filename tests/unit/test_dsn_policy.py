"""Who gets a report and when (dropenvelope, savemail): NOTIFY, the null sender, double
bounces, warnings once per message, expiry, receipts, Errors-To, PostmasterCopy and
ErrorMode.  The end of the file builds the planned reports and reads them back."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace

import pytest
from flufl.bounce import scan_message

from monomail import sysexits as ex
from monomail.config.option_values import NOW
from monomail.dsn import policy
from monomail.dsn.policy import (DOUBLE_BOUNCE_DROPPED, ErrorMode, MessageState, Origin,
                                 ReportSettings, Step, Timeouts)
from monomail.dsn.report import (OriginalMessage, Outcome, RecipientStatus, build,
                                 default_leading_headers)

T0 = 1_795_000_000.0
HOUR = 3600
TIMEOUTS = Timeouts(warn_after=4 * HOUR, return_after=5 * 86400)
SETTINGS = ReportSettings()


def rcpt(user: str, outcome: Outcome, *notify: str, **fields: object) -> RecipientStatus:
    return replace(RecipientStatus(f"<{user}@example.org>", outcome,
                                   f"RFC822; {user}@example.org", notify=notify), **fields)


def state(*recipients: RecipientStatus, **fields: object) -> MessageState:
    return replace(MessageState(sender="joe@example.com", origin=Origin.MESSAGE, arrival=T0,
                                recipients=recipients), **fields)


def plan(message: MessageState, after: float = 60, settings: ReportSettings = SETTINGS,
         timeouts: Timeouts = TIMEOUTS, mode: ErrorMode = ErrorMode.MAIL) -> policy.Plan:
    return policy.plan(message, timeouts, settings, T0 + after, mode)


def sender_report(result: policy.Plan) -> policy.PlannedReport:
    assert result.sender_report is not None
    return result.sender_report


def test_failure_goes_to_the_sender_with_the_body() -> None:
    result = plan(state(rcpt("bob", Outcome.FAILED), rcpt("ann", Outcome.SENT)))
    report = result.sender_report
    assert report is not None
    assert (report.to, report.postmaster, report.return_body) == (("joe@example.com",), False, True)
    assert result.reports == (report,)
    assert result.remove and not result.warning_sent


def test_failure_message_is_the_first_reason() -> None:
    bob = rcpt("bob", Outcome.FAILED, diagnostic="67")
    assert sender_report(plan(state(bob))).message == "User unknown"
    odd = rcpt("bob", Outcome.FAILED, diagnostic="Warning: odd remote text")
    assert sender_report(plan(state(odd))).message == policy.DEFAULT_FAILURE_MESSAGE


@pytest.mark.parametrize("notify", [("NEVER",), ("SUCCESS",), ("DELAY",), ("SUCCESS", "DELAY")])
def test_no_failure_report_without_failure_in_notify(notify: tuple[str, ...]) -> None:
    result = plan(state(rcpt("bob", Outcome.FAILED, *notify)))
    assert result.reports == ()
    assert result.remove


def test_never_yields_nothing_in_any_event() -> None:
    never = ("NEVER",)
    for outcome in Outcome:
        for after in (60, 5 * HOUR, 6 * 86400):
            result = plan(state(rcpt("bob", outcome, *never)), after=after,
                          settings=replace(SETTINGS, postmaster_copy="pm@example.com"))
            assert (result.sender_report, result.receipt, result.postmaster_copy) == (None,) * 3


def test_null_sender_failure_goes_to_the_postmaster() -> None:
    result = plan(state(rcpt("bob", Outcome.FAILED), sender=""))
    report = result.sender_report
    assert report is not None
    assert (report.to, report.postmaster, report.return_body) == (("postmaster",), True, True)


def test_failed_report_goes_to_double_bounce_address() -> None:
    settings = replace(SETTINGS, double_bounce_address="dbl@example.com")
    result = plan(state(rcpt("joe", Outcome.FAILED), sender="", origin=Origin.REPORT),
                  settings=settings)
    assert result.sender_report is not None
    assert result.sender_report.to == ("dbl@example.com",)
    assert result.sender_report.postmaster


def test_failed_double_bounce_is_dropped_with_a_log_line() -> None:
    result = plan(state(rcpt("postmaster", Outcome.FAILED), sender="",
                        origin=Origin.POSTMASTER_REPORT))
    assert result.reports == ()
    assert result.log == (DOUBLE_BOUNCE_DROPPED,)
    assert result.remove


def test_empty_double_bounce_address_drops() -> None:
    result = plan(state(rcpt("bob", Outcome.FAILED), sender=""),
                  settings=replace(SETTINGS, double_bounce_address=""))
    assert result.reports == () and result.log == (DOUBLE_BOUNCE_DROPPED,)


def test_errors_to_and_local_errors() -> None:
    message = state(rcpt("bob", Outcome.FAILED), errors_to=("err@example.com", "JOE@example.com"),
                    local_error=True)
    report = plan(message).sender_report
    assert report is not None
    assert report.to == ("err@example.com", "JOE@example.com", "postmaster")


def test_return_receipt_only_when_asked_and_nothing_failed() -> None:
    ann = rcpt("ann", Outcome.DELIVERED, "SUCCESS")
    result = plan(state(ann, rcpt("cy", Outcome.DELIVERED)))
    assert result.sender_report is None
    receipt = result.receipt
    assert receipt is not None
    assert (receipt.to, receipt.message, receipt.return_body) == (
        ("joe@example.com",), "Return receipt", False)
    assert plan(state(rcpt("cy", Outcome.DELIVERED))).reports == ()
    assert plan(state(ann), settings=replace(SETTINGS, no_receipts=True)).reports == ()
    assert plan(state(ann, sender="")).reports == ()
    with_errors_to = plan(state(ann, errors_to=("err@example.com",))).receipt
    assert with_errors_to is not None and with_errors_to.to == ("joe@example.com",)


@pytest.mark.parametrize("outcome", [Outcome.RELAYED, Outcome.EXPANDED, Outcome.DELIVERED_TO_LIST])
def test_other_successes_give_receipts(outcome: Outcome) -> None:
    assert plan(state(rcpt("ann", outcome, "SUCCESS"))).receipt is not None


def test_success_and_failure_in_one_run_give_one_report() -> None:
    result = plan(state(rcpt("ann", Outcome.DELIVERED, "SUCCESS"), rcpt("bob", Outcome.FAILED)))
    assert result.receipt is None
    assert result.sender_report is not None
    assert [r.outcome for r in result.sender_report.recipients] == [Outcome.DELIVERED,
                                                                   Outcome.FAILED]


def test_no_warning_before_queuewarn() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED)), after=4 * HOUR - 1)
    assert result.reports == () and not result.remove and result.transcript == ()


def test_warning_once_after_queuewarn() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED), rcpt("cat", Outcome.QUEUED, "FAILURE")),
                  after=4 * HOUR)
    report = result.sender_report
    assert report is not None
    assert report.message == "Warning: could not send message for past 4 hours"
    assert [r.outcome for r in result.recipients] == [Outcome.DELAYED, Outcome.QUEUED]
    assert result.warning_sent and not result.remove
    assert result.transcript == ("Warning: message still undelivered after 4 hours",
                                 "Will keep trying until message is 5 days old")
    again = plan(state(rcpt("bob", Outcome.QUEUED), warning_sent=True), after=5 * HOUR)
    assert again.reports == () and again.warning_sent


@pytest.mark.parametrize("fields", [
    {"sender": ""}, {"sender": "MAILER-DAEMON@example.com"}, {"sender": "<owner-list@example.com>"},
    {"sender": "list-request@example.com"}, {"sender": "Owner-X"}, {"precedence": -60},
    {"origin": Origin.REPORT}, {"origin": Origin.POSTMASTER_REPORT},
])
def test_warnings_suppressed(fields: dict[str, object]) -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED), **fields), after=5 * HOUR)
    assert result.reports == () and not result.warning_sent


def test_no_warnings_when_queuewarn_is_zero() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED)), after=86400,
                  timeouts=replace(TIMEOUTS, warn_after=0))
    assert result.reports == ()


def test_expiry_fails_every_queued_recipient() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED), rcpt("ann", Outcome.SENT),
                        rcpt("cat", Outcome.QUEUED, "NEVER")), after=5 * 86400)
    assert [(r.outcome, r.status) for r in result.recipients] == [
        (Outcome.FAILED, "4.4.7"), (Outcome.SENT, None), (Outcome.FAILED, "4.4.7")]
    report = result.sender_report
    assert report is not None
    assert report.message == "Cannot send message for 5 days"
    assert result.transcript == ("Message could not be delivered for 5 days",
                                 "Message will be deleted from queue")
    assert result.remove


def test_expiry_without_failure_notices_removes_silently() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED, "NEVER")), after=6 * 86400)
    assert result.reports == () and result.remove


def test_queuereturn_now_returns_at_once() -> None:
    result = plan(state(rcpt("bob", Outcome.QUEUED)), after=0,
                  timeouts=Timeouts(warn_after=0, return_after=NOW))
    assert result.sender_report is not None and result.remove
    assert result.recipients[0].status == "4.4.7"


def test_postmaster_copy_of_failures_headers_only() -> None:
    settings = replace(SETTINGS, postmaster_copy="pm@example.com")
    result = plan(state(rcpt("bob", Outcome.FAILED)), settings=settings)
    copy = result.postmaster_copy
    assert copy is not None
    assert (copy.to, copy.postmaster, copy.return_body) == (("pm@example.com",), True, False)
    assert len(result.reports) == 2
    assert plan(state(rcpt("bob", Outcome.FAILED), precedence=-30),
                settings=settings).postmaster_copy is None
    assert plan(state(rcpt("bob", Outcome.FAILED), sender="", origin=Origin.REPORT),
                settings=settings).postmaster_copy is None
    assert plan(state(rcpt("bob", Outcome.QUEUED)), after=5 * HOUR,
                settings=settings).postmaster_copy is None


def test_quiet_error_mode_still_copies_the_postmaster() -> None:
    settings = replace(SETTINGS, postmaster_copy="pm@example.com")
    result = plan(state(rcpt("bob", Outcome.FAILED)), settings=settings, mode=ErrorMode.QUIET)
    assert result.sender_report is None and result.postmaster_copy is not None


@pytest.mark.parametrize("ret, too_big, precedence, privacy, expected", [
    (None, False, 0, False, True), ("FULL", False, 0, False, True),
    ("HDRS", False, 0, False, False), (None, True, 0, False, False),
    (None, False, -60, False, False), (None, False, 100, False, True),
    (None, False, 0, True, False),
])
def test_return_body(ret: str | None, too_big: bool, precedence: int, privacy: bool,
                     expected: bool) -> None:
    settings = replace(SETTINGS, no_body_return=privacy)
    assert policy.return_body(ret, too_big, precedence, settings) is expected
    message = state(rcpt("bob", Outcome.FAILED), ret=ret, too_big=too_big, precedence=precedence)
    assert sender_report(plan(message, settings=settings)).return_body is expected


PRIORITIES = {"first-class": 0, "special-delivery": 100, "list": -30, "bulk": -60, "junk": -100}


@pytest.mark.parametrize("value, expected", [
    (None, 0), ("bulk", -60), (" Junk ", -100), ("LIST", -30), ("special-delivery", 100),
    ("other", 0),
])
def test_precedence_class(value: str | None, expected: int) -> None:
    assert policy.precedence_class(value, PRIORITIES) == expected


@pytest.mark.parametrize("precedence, priority, is_report, expected", [
    (0, None, False, "normal"), (-60, None, False, "non-urgent"), (100, None, False, "urgent"),
    (0, None, True, "dsn"), (-60, "Urgent", False, "urgent"), (0, "junk", True, "dsn"),
])
def test_timeout_class(precedence: int, priority: str | None, is_report: bool,
                       expected: str) -> None:
    assert policy.timeout_class(precedence, priority, is_report) == expected


@pytest.mark.parametrize("mode, origin, local, first", [
    (ErrorMode.MAIL, Origin.MESSAGE, True, Step.MAIL_SENDER),
    (ErrorMode.BERKNET, Origin.MESSAGE, False, Step.MAIL_SENDER),
    (ErrorMode.PRINT, Origin.MESSAGE, True, Step.DEAD_LETTER),
    (ErrorMode.PRINT, Origin.MESSAGE, False, Step.MAIL_SENDER),
    (ErrorMode.WRITE, Origin.MESSAGE, False, Step.WRITE_TERMINAL),
    (ErrorMode.QUIET, Origin.MESSAGE, True, None),
    (ErrorMode.MAIL, Origin.REPORT, False, Step.MAIL_POSTMASTER),
    (ErrorMode.MAIL, Origin.POSTMASTER_REPORT, False, None),
])
def test_first_step(mode: ErrorMode, origin: Origin, local: bool, first: Step | None) -> None:
    assert policy.first_step(mode, origin, local) is first


def walk(first: Step, failures: set[Step], precedence: int = 0) -> list[Step]:
    """Run the state machine with the given steps failing."""
    steps: list[Step] = []
    step: Step | None = first
    while step is not None:
        steps.append(step)
        step = policy.next_step(step, step not in failures, precedence)
    return steps


def test_state_machine_paths() -> None:
    everything = set(Step)
    assert walk(Step.WRITE_TERMINAL, set()) == [Step.WRITE_TERMINAL, Step.DEAD_LETTER]
    assert walk(Step.WRITE_TERMINAL, {Step.WRITE_TERMINAL}) == [
        Step.WRITE_TERMINAL, Step.MAIL_SENDER]
    assert walk(Step.DEAD_LETTER, everything) == [
        Step.DEAD_LETTER, Step.MAIL_SENDER, Step.MAIL_POSTMASTER, Step.DEAD_LETTER_DROP, Step.PANIC]
    assert walk(Step.MAIL_SENDER, {Step.MAIL_SENDER}) == [Step.MAIL_SENDER, Step.MAIL_POSTMASTER]
    assert walk(Step.MAIL_SENDER, everything, precedence=-60) == [
        Step.MAIL_SENDER, Step.MAIL_POSTMASTER]


def test_error_mode_output_and_exit() -> None:
    assert policy.prints_errors(ErrorMode.PRINT)
    assert not any(policy.prints_errors(m) for m in ErrorMode if m is not ErrorMode.PRINT)
    assert policy.exit_code(ErrorMode.PRINT, ex.EX_NOUSER) == ex.EX_NOUSER
    assert policy.exit_code(ErrorMode.PRINT, ex.EX_TEMPFAIL) == ex.EX_OK
    assert policy.exit_code(ErrorMode.BERKNET, ex.EX_NOUSER) == ex.EX_OK


def test_to_postmaster() -> None:
    report = policy.PlannedReport(("joe@example.com",), "x", False, False, ())
    moved, log = policy.to_postmaster(report, SETTINGS)
    assert moved is not None and moved.to == ("postmaster",) and moved.postmaster and log == ()


def test_planned_reports_build_and_read_back() -> None:
    """Plan, build and parse: flufl.bounce finds exactly the failed recipients."""
    message = state(rcpt("bob", Outcome.FAILED, diagnostic="550 5.1.1 unknown"),
                    rcpt("ann", Outcome.DELIVERED, "SUCCESS"),
                    rcpt("cat", Outcome.QUEUED), ret="HDRS")
    settings = replace(SETTINGS, postmaster_copy="pm@example.com")
    result = plan(message, settings=settings)
    original = OriginalMessage("6AP4qLIL028042", T0, "joe@localhost",
                               b"Subject: s\n\nbody text\n")
    for index, planned in enumerate(result.reports):
        request = policy.to_request(planned, original, report_id=f"6AP4qLIM02804{index}",
                                    hostname="mail.example.com", transcript="", now=T0 + 60,
                                    timeouts=TIMEOUTS)
        report = build(request)
        data = report.as_bytes(default_leading_headers("mail.example.com", "x", T0))
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert all(not part.defects for part in parsed.walk())
        assert scan_message(parsed) == {b"bob@example.org"}
        assert b"body text" not in data
