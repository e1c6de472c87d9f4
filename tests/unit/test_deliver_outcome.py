"""Outcomes: sendmail's tables for exit statuses, mail.local's for errors, batch statuses."""

from __future__ import annotations

import errno

import pytest

from monomail import sysexits as ex
from monomail.deliver.outcome import (combined, delivered, failure, from_exit, os_failure,
                                      stat_text)


@pytest.mark.parametrize("status, dsn, text, log_dsn, retry", [
    (ex.EX_TEMPFAIL, "4.2.0", "Deferred", "4.0.0", True),
    (ex.EX_NOUSER, "5.1.1", "User unknown", "5.1.1", False),
    (ex.EX_UNAVAILABLE, "5.5.0", "Service unavailable", "5.0.0", False),
    (ex.EX_CANTCREAT, "5.3.0", "Can't create output", "5.0.0", False),
    (ex.EX_IOERR, "4.5.0", "I/O error", "4.0.0", True),
    (ex.EX_OSERR, "4.5.0", "Operating system error", "4.0.0", True),
    (ex.EX_CONFIG, "5.5.0", "Local configuration error", "5.3.5", False),
    (ex.EX_DATAERR, "5.5.2", "Data format error", "5.6.0", False),
])
def test_exit_status_becomes_what_sendmail_records(status: int, dsn: str, text: str,
                                                   log_dsn: str, retry: bool) -> None:
    outcome = from_exit(status, "program said so\n")
    assert (outcome.exit, outcome.dsn, outcome.text, outcome.log_dsn, outcome.retry) == \
        (status, dsn, text, log_dsn, retry)
    assert outcome.transcript == "program said so\n"
    assert not outcome.ok


def test_unknown_exit_status_is_unavailable_as_giveresponse_says() -> None:
    outcome = from_exit(3)
    assert (outcome.exit, outcome.text, outcome.log_dsn) == (
        ex.EX_UNAVAILABLE, "unknown mailer error 3", "5.3.0")


def test_success() -> None:
    assert from_exit(0).ok and delivered().text == "Sent"
    assert delivered("queued as 12").text == "Sent (queued as 12)"


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT])
def test_full_disk_or_quota_is_temporary_mailbox_full(err: int) -> None:
    outcome = os_failure("550 5.2.0", "Write /var/mail/joe", OSError(err, "x"),
                         exit=ex.EX_CANTCREAT)
    assert (outcome.exit, outcome.dsn, outcome.retry) == (ex.EX_TEMPFAIL, "4.2.2", True)
    assert outcome.text.startswith("Deferred: Write /var/mail/joe: ")
    assert outcome.transcript.startswith("450 4.2.2 Write /var/mail/joe")


def test_transient_errno_makes_a_permanent_reply_temporary() -> None:
    outcome = os_failure("551 5.3.0", "lockmailbox x failed", OSError(errno.EAGAIN, "x"))
    assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.3.0")


def test_permanent_failure_keeps_its_code_and_names_the_reason() -> None:
    outcome = failure("550 5.2.0", "/var/mail/joe: too many links", exit=ex.EX_UNAVAILABLE)
    assert (outcome.exit, outcome.dsn, outcome.log_dsn) == (ex.EX_UNAVAILABLE, "5.2.0", "5.2.0")
    assert outcome.text == "Service unavailable (/var/mail/joe: too many links)"
    assert not outcome.retry


def test_permanent_code_never_yields_a_retry_status() -> None:
    assert failure("554 5.3.0", "odd").exit == ex.EX_UNAVAILABLE  # dsn_to_exit gives EX_OSERR


def test_stat_text_for_a_temporary_failure() -> None:
    assert stat_text(ex.EX_TEMPFAIL, "") == "Deferred"
    assert stat_text(ex.EX_TEMPFAIL, "why") == "Deferred: why"


def test_combined_status_follows_mail_local() -> None:
    ok, hard, soft = delivered(), from_exit(ex.EX_NOUSER), from_exit(ex.EX_TEMPFAIL)
    assert combined([ok, hard, soft]) is soft
    assert combined([ok, hard]) is hard
    assert combined([ok, ok]).ok
