"""monomail.aliases.notices: sendmail's fmtmsg layout and err.c bookkeeping."""

from __future__ import annotations

import pytest

from monomail.aliases.notices import Notices, QuickAbort, fmtmsg


def test_fmtmsg_codes_and_address() -> None:
    n = fmtmsg("550 5.1.1 User unknown", "bob", "550", None)
    assert (n.reply, n.text) == ("550 5.1.1 bob... User unknown", "bob... User unknown")
    n = fmtmsg("554 aliasing/forwarding loop broken", "x", "550", "5.4.6")
    assert n.reply == "554 5.4.6 aliasing/forwarding loop broken"   # no address for 554
    assert fmtmsg("aliased to y", "x", "050", None).reply == "050 x... aliased to y"
    assert fmtmsg("text", None, "550", "5.0.0").text == "text"


def test_fmtmsg_file_and_long_address() -> None:
    n = fmtmsg("sending to bob", None, "050", None, "/etc/mail/list", 3)
    assert n.text == "/etc/mail/list: line 3: sending to bob"
    long = "a" * 300
    shown = fmtmsg("550 5.1.1 User unknown", long, "550", None).text
    assert shown.startswith("a" * 100 + "...") and len(shown) == 203 + len("... User unknown")
    assert fmtmsg("x\xe9y", None, "050", None).text == "xiy"   # octets lose their 8th bit


def test_notices_are_shown_only_when_verbose() -> None:
    shown: list[str] = []
    quiet = Notices(sink=shown.append)
    quiet.to = "bob"
    quiet.message("aliased to x")
    quiet.usrerr("550 5.1.1 User unknown")
    assert shown == ["bob... User unknown"]
    assert [n.reply for n in quiet.said] == ["050 bob... aliased to x",
                                             "550 5.1.1 bob... User unknown"]
    assert (quiet.errors, quiet.last_error) == (1, "bob... User unknown")


def test_suppressed_errors_are_not_counted() -> None:
    notices = Notices(suppress=True)
    notices.usrerr("550 5.1.1 User unknown")
    assert (notices.errors, notices.said) == (0, [])


def test_quick_abort_stops_at_the_first_error() -> None:
    notices = Notices(quick_abort=True)
    notices.to = "<x@y>"
    with pytest.raises(QuickAbort) as stop:
        notices.usrerr("550 5.1.1 User unknown")
    assert stop.value.reply == "550 5.1.1 <x@y>... User unknown"
