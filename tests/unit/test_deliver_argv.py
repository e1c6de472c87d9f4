"""A= argument vectors as sendmail's deliver() builds them."""

from __future__ import annotations

import pytest

from deliver_support import mailers
from monomail.deliver.argv import SpeaksSmtp, batches, build_argv, user_of
from monomail.deliver.job import Job, Owner, Recipient

M = mailers("""\
Mmulti, P=/bin/echo, F=mnf, A=echo -x $u $h end
Msingle, P=/bin/echo, F=nr, A=echo $u
Mquoted, P=/bin/echo, F=sB, A=echo $u
Mlmtp, P=/usr/lib/sm.bin/mail.local, F=lsDFMAw5:/|@qPSXfmnz9, A=mail.local -l
Muucp, P=/usr/bin/uux, F=mDFMhuUd, A=uux - -r -a$g -gC $h!rmail ($u)
Mhome, P=/bin/echo, F=n, A=echo $z:$u
""")


def job(mailer: str, *users: str, sender_given: bool = True, **kw: object) -> Job:
    return Job(M[mailer], "joe@example.com", tuple(Recipient(u, "example.org") for u in users),
               b"", sender_given=sender_given, **kw)


def test_one_word_per_user_between_fixed_words() -> None:
    built = build_argv(job("multi", "ann", "bob"))
    assert built.argv == ["echo", "-f", "joe@example.com", "-x", "ann", "bob", "example.org", "end"]
    assert built.users == ("ann", "bob")


def test_r_flag_and_no_sender_given() -> None:
    assert build_argv(job("single", "ann")).argv == ["echo", "-r", "joe@example.com", "ann"]
    assert build_argv(job("single", "ann", sender_given=False)).argv == ["echo", "ann"]


def test_uucp_words_take_host_and_sender() -> None:
    assert build_argv(job("uucp", "ann", "bob")).argv == [
        "uux", "-", "-r", "-ajoe@example.com", "-gC", "example.org!rmail", "(ann)", "(bob)"]


def test_quotes_and_leading_backslashes_are_stripped_for_s_and_b() -> None:
    assert build_argv(job("quoted", '"\\\\ann smith"')).users == ("ann smith",)


def test_prog_recipient_loses_its_bar() -> None:
    prog = M["prog"]
    assert user_of(prog, Recipient('"|/usr/bin/vacation joe"')) == "/usr/bin/vacation joe"
    assert build_argv(Job(prog, "joe", (Recipient("|cat"),), b"")).argv == ["sh", "-c", "cat"]


def test_home_comes_from_the_recipient_or_its_owner() -> None:
    owner = Owner(1, 1, "ann", home="/home/ann")
    assert build_argv(Job(M["home"], "joe", (Recipient("ann", owner=owner),), b"")).users == (
        "/home/ann:ann",)
    assert build_argv(Job(M["home"], "joe", (Recipient("ann", home="/h", owner=owner),),
                          b"")).users == ("/h:ann",)


def test_other_macros_come_from_the_job() -> None:
    mailer = mailers("Mm, P=/bin/echo, F=n, A=echo ${client_addr} $u\n")["m"]
    values = {ord("u"): "ignored"}
    built = build_argv(Job(mailer, "joe", (Recipient("ann"),), b"",
                           macro=lambda mid: values.get(mid) or "127.0.0.2"))
    assert built.argv == ["echo", "127.0.0.2", "ann"]


def test_no_user_macro_means_smtp_over_a_pipe() -> None:
    with pytest.raises(SpeaksSmtp):
        build_argv(job("lmtp", "ann"))


def test_batches_follow_m_and_r() -> None:
    recipients = tuple(Recipient(str(i)) for i in range(5))
    assert batches(M["single"], recipients) == [(r,) for r in recipients]
    limited = mailers("Mm, P=/bin/echo, F=m, r=2, A=echo $u\n")["m"]
    assert [len(b) for b in batches(limited, recipients)] == [2, 2, 1]
