"""MAIL FROM / RCPT TO arguments: every refusal with sendmail's exact reply, odd spacing,
the parsed values, and round trips of xtext values through the parameters.

The expected replies were taken from real sendmail 8.17.1.9 (Debian) answering the same
lines in `sendmail -bs` with DSN, AUTH and DELIVERBY offered; None marks a line that
sendmail accepted (250) or refused only later, in its address checks."""

from __future__ import annotations

from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monomail.dsn import xtext
from monomail.smtpd import params
from monomail.smtpd.params import (BadValue, DeliverBy, Features, MailParams, Orcpt,
                                   PathArgument, RcptParams, Refusal, check_size,
                                   notify_value, orcpt_value, parse_mail_parameters,
                                   parse_rcpt_parameters, ret_value, split_mail,
                                   split_parameters, split_rcpt)


Outcome = MailParams | RcptParams | Refusal


def outcome(arg: str, features: Features, mail_command: bool) -> Outcome:
    """What this module decides for "MAIL <arg>" or "RCPT <arg>": split, then parameters."""
    split = split_mail if mail_command else split_rcpt
    path = split(arg, features)
    if isinstance(path, Refusal):
        return path
    parse = parse_mail_parameters if mail_command else parse_rcpt_parameters
    return parse(path.parameters, features)


def mail_reply(arg: str, features: Features = Features()) -> str | None:
    result = outcome(arg, features, True)
    return str(result) if isinstance(result, Refusal) else None


def rcpt_reply(arg: str, features: Features = Features()) -> str | None:
    result = outcome(arg, features, False)
    return str(result) if isinstance(result, Refusal) else None


def mail(arg: str, features: Features = Features()) -> MailParams:
    result = outcome(arg, features, True)
    assert isinstance(result, MailParams), result
    return result


def rcpt(arg: str, features: Features = Features()) -> RcptParams:
    result = outcome(arg, features, False)
    assert isinstance(result, RcptParams), result
    return result


SIZES_18 = " ".join(["SIZE=1"] * 18)
SIZES_17 = " ".join(["SIZE=1"] * 17)

MAIL_CASES = [
    ("", '501 5.5.2 Syntax error in parameters scanning ""'),
    ("FROM", '501 5.5.2 Syntax error in parameters scanning "FROM"'),
    ("FROM:", '501 5.5.2 Syntax error in parameters scanning "FROM"'),
    ("FROM: ", '501 5.5.2 Syntax error in parameters scanning "FROM"'),
    ("TO:<a@b>", '501 5.5.2 Syntax error in parameters scanning "TO"'),
    ("FROM :  <> SIZE=-3", "552 5.2.3 Message size invalid"),
    ("FROM:<> SIZE=-99999999999999999999999", "552 5.2.3 Message size invalid"),
    ("FROM:<> SIZE=99999999999999999999", "552 5.2.3 Message size exceeds maximum value"),
    ("FROM:<> RET=hdrs SIZE=5 SIZE=99999999999999999999999",
     "552 5.2.3 Message size exceeds maximum value"),
    ("FROM:<> SIZE=12abc SIZE", "501 5.5.2 SIZE requires a value"),
    ("FROM:<> SIZE", "501 5.5.2 SIZE requires a value"),
    ("FROM:<>  BODY= ", "501 5.5.4 Unknown BODY type "),
    ("FROM:<> BODY=BINARYMIME", "501 5.5.4 Unknown BODY type BINARYMIME"),
    ("FROM:<> BODY", "501 5.5.2 BODY requires a value"),
    ("FROM:<> body=7bit BODY=8bitmime", None),
    ("FROM:<> ENVID=a+2b+2Bb ENVID=x", "501 5.5.0 Duplicate ENVID parameter"),
    ("FROM:<> ENVID=a+2 ", "501 5.5.4 Syntax error in ENVID parameter value"),
    ("FROM:<> ENVID", "501 5.5.2 ENVID requires a value"),
    ("FROM:<> ENVID=", None),
    ("FROM:<> RET=hdrs RET=full", "501 5.5.0 Duplicate RET parameter"),
    ("FROM:<> RET=x", '501 5.5.2 Bad argument "x" to RET'),
    ("FROM:<> RET", "501 5.5.2 RET requires a value"),
    ("FROM:<> AUTH= ", None),
    ("FROM:<> AUTH", "501 5.5.2 AUTH= requires a value"),
    ("FROM:<> AUTH=<> AUTH=x", "501 5.5.0 Duplicate AUTH parameter"),
    ("FROM:<> AUTH=a+zz", "501 5.5.4 Syntax error in AUTH parameter value"),
    ("FROM:<> BY=5", "501 5.5.2 BY= missing ';'"),
    ("FROM:<> BY=x", "501 5.5.2 BY= missing ';'"),
    ("FROM:<> BY=5;R", None),
    ("FROM:<> BY=0;R", "501 5.5.4 mode R requires BY time > 0"),
    ("FROM:<> BY=5;Q", "501 5.5.2 illegal by-mode 'Q'"),
    ("FROM:<> BY=5;NX", "501 5.5.2 illegal by-trace 'X'"),
    ("FROM:<> BY=5;NT", None),
    ("FROM:<> BY=1000000000;N", "501 5.5.2 BY=1000000000;N out of range"),
    ("FROM:<> SMTPUTF8", "555 5.5.4 SMTPUTF8 parameter unrecognized"),
    ("FROM:<> " + SIZES_18, "501 5.5.4 Too many parameters"),
    ("FROM:<> " + SIZES_17, None),
    ("FROM:<> SIZE=1=2", "555 5.5.4 2 parameter unrecognized"),
    ("FROM:<> =5", "555 5.5.4  parameter unrecognized"),
    ("FROM:<> X@Y", "555 5.5.4 X parameter unrecognized"),
    ("FROM:<>\tSIZE=5\tX", "555 5.5.4 X parameter unrecognized"),
    ("FROM:<>SIZE=5 X", "555 5.5.4 X parameter unrecognized"),
    ("FROM:<a b@c>", None),
    ("FROM:(c)", None),
    ("  FROMX <a>", '501 5.5.2 Syntax error in parameters scanning "FROMX"'),
    (" \tFROM:", '501 5.5.2 Syntax error in parameters scanning "FROM"'),
    ("FROM:a\\ b SIZE=1", "555 5.5.4 b parameter unrecognized"),
    ("FROM:<a@b>(x) SIZE=-1", "552 5.2.3 Message size invalid"),
    ("FROM:<> SIZE=1 =", "555 5.5.4  parameter unrecognized"),
    ("FROM:<> SIZE=1 -", "555 5.5.4 - parameter unrecognized"),
]

RCPT_CASES = [
    ("TO:(x)", "501 5.0.0 Missing recipient"),
    ("TO:", '501 5.5.2 Syntax error in parameters scanning "TO"'),
    ("TO:  ", '501 5.5.2 Syntax error in parameters scanning "TO"'),
    (" TO : <root@localhost>", None),
    ("to:<root@localhost>", None),
    ("TOO:<root@localhost>", '501 5.5.2 Syntax error in parameters scanning "TOO"'),
    ("TO<root@localhost>",
     '501 5.5.2 Syntax error in parameters scanning "TO<root@localhost>"'),
    ("FROM:<root@localhost>", '501 5.5.2 Syntax error in parameters scanning "FROM"'),
    ("TO:<r@l> NOTIFY=SUCCESS,SUCCESS", None),
    ("TO:<r@l> NOTIFY=NEVER,SUCCESS", '501 5.5.4 Bad argument "NEVER"  to NOTIFY'),
    ("TO:<r@l> NOTIFY=never", None),
    ("TO:<r@l> NOTIFY=success,", '501 5.5.4 Bad argument ""  to NOTIFY'),
    ("TO:<r@l> NOTIFY=,delay", '501 5.5.4 Bad argument ""  to NOTIFY'),
    ("TO:<r@l> NOTIFY=Failure,Delay,Success", None),
    ("TO:<r@l> NOTIFY=sucess", '501 5.5.4 Bad argument "sucess"  to NOTIFY'),
    ("TO:<r@l> NOTIFY", "501 5.5.2 NOTIFY requires a value"),
    ("TO:<r@l> NOTIFY=", '501 5.5.4 Bad argument ""  to NOTIFY'),
    ("TO:<r@l> NOTIFY=never NOTIFY=bogus", '501 5.5.4 Bad argument "bogus"  to NOTIFY'),
    ("TO:<r@l> ORCPT=rfc822;a+2bb", None),
    ("TO:<r@l> ORCPT=rfc822;a+2", "501 5.5.4 Syntax error in ORCPT parameter value"),
    ("TO:<r@l> ORCPT=rfc822;a+", "501 5.5.4 Syntax error in ORCPT parameter value"),
    ("TO:<r@l> ORCPT=rfc822", "501 5.5.4 Syntax error in ORCPT parameter value"),
    ("TO:<r@l> ORCPT=rfc.822;a", "501 5.5.4 Syntax error in ORCPT parameter value"),
    ("TO:<r@l> ORCPT=;a", "501 5.5.4 Syntax error in ORCPT parameter value"),
    ("TO:<r@l> ORCPT=rfc822;", None),
    ("TO:<r@l> ORCPT=rfc822;a;b", None),
    ("TO:<r@l> ORCPT", "501 5.5.2 ORCPT requires a value"),
    ("TO:<r@l> ORCPT=utf-8;a\\x{41}", None),
    ("TO:<r@l> ORCPT=rfc822;a ORCPT=rfc822;b", "501 5.5.0 Duplicate ORCPT parameter"),
    ("TO:<r@l> ORCPT=rfc822;x=y", "555 5.5.4 y parameter unrecognized"),
    ("TO:<r@l> FOO=bar", "555 5.5.4 FOO parameter unrecognized"),
    ("TO:<r@l> SIZE=5", "555 5.5.4 SIZE parameter unrecognized"),
    ("TO:<r@l>NOTIFY=bogus", None),
    ('TO:"a b"@l NOTIFY=bogus', '501 5.5.4 Bad argument "bogus"  to NOTIFY'),
    ("TO:<r@l> notify=NEVER orcpt=RFC822;root+40localhost", None),
]


@pytest.mark.parametrize("arg, reply", MAIL_CASES)
def test_mail_replies_as_sendmail(arg: str, reply: str | None) -> None:
    assert mail_reply(arg) == reply


@pytest.mark.parametrize("arg, reply", RCPT_CASES)
def test_rcpt_replies_as_sendmail(arg: str, reply: str | None) -> None:
    assert rcpt_reply(arg) == reply


# ------------------------------------------------------------------ features

NO_DSN = Features(dsn=False)


@pytest.mark.parametrize("reply, arg", [
    (mail_reply, "FROM:<> ENVID=x"), (mail_reply, "FROM:<> RET=FULL"),
    (rcpt_reply, "TO:<r@l> NOTIFY=NEVER"), (rcpt_reply, "TO:<r@l> ORCPT=rfc822;r@l"),
])
def test_without_dsn_the_dsn_parameters_get_504(reply: Callable[[str, Features], str | None],
                                                arg: str) -> None:
    keyword = arg.split()[1].split("=")[0]
    assert reply(arg, NO_DSN) == (
        f"504 5.7.0 Sorry, {keyword} not supported, we do not allow DSN")


def test_dsn_is_checked_before_the_value() -> None:
    assert mail_reply("FROM:<> RET", NO_DSN) == (
        "504 5.7.0 Sorry, RET not supported, we do not allow DSN")


def test_smtputf8_known_but_not_offered_and_offered() -> None:
    assert mail_reply("FROM:<> SMTPUTF8", Features(smtputf8=False)) == (
        "504 5.7.0 Sorry, SMTPUTF8 not supported")
    assert mail("FROM:<> SMTPUTF8", Features(smtputf8=True)).smtputf8
    assert mail("FROM:<> smtputf8=ignored", Features(smtputf8=True)).smtputf8


def test_auth_and_by_unknown_when_turned_off() -> None:
    assert mail_reply("FROM:<> AUTH=<>", Features(auth=False)) == (
        "555 5.5.4 AUTH parameter unrecognized")
    assert mail_reply("FROM:<> BY=5;N", Features(deliver_by_min=None)) == (
        "555 5.5.4 BY parameter unrecognized")


def test_deliver_by_min_applies_to_return_mode_only() -> None:
    features = Features(deliver_by_min=100)
    assert mail_reply("FROM:<> BY=5;R", features) == "555 5.5.2 time 5 less than 100"
    assert mail("FROM:<> BY=5;N", features).by == DeliverBy(5, "N", False)
    assert mail("FROM:<> BY=100;r", features).by == DeliverBy(100, "R", False)


@pytest.mark.parametrize("arg, reply", [
    ("FROM:<> XYZZY=1", "555 5.5.4 (suppressed) parameter unrecognized"),
    ("FROM:<> BODY=9BIT", "501 5.5.4 Unknown BODY type (suppressed)"),
    ("FROM:<> RET=none", '501 5.5.2 Bad argument "(suppressed)" to RET'),
    ("FROM:<> BY=2000000000;N", "501 5.5.2 BY=(suppressed) out of range"),
    ("FROMAGE:<>", '501 5.5.2 Syntax error in parameters scanning "(suppressed)"'),
])
def test_noreflection_hides_the_clients_words(arg: str, reply: str) -> None:
    assert mail_reply(arg, Features(reflect=False)) == reply


def test_noreflection_in_notify() -> None:
    assert rcpt_reply("TO:<r@l> NOTIFY=x", Features(reflect=False)) == (
        '501 5.5.4 Bad argument "(suppressed)"  to NOTIFY')


def test_queue_limits_on_envid_and_orcpt() -> None:
    assert mail("FROM:<> ENVID=" + "x" * 100).envid == "x" * 100
    assert mail_reply("FROM:<> ENVID=" + "x" * 101) == (
        "501 5.5.4 Syntax error in ENVID parameter value")
    assert mail_reply("FROM:<> ENVID=" + "x" * 101, Features(max_envid=200)) is None
    long_orcpt = "rfc822;" + "a" * 493
    assert rcpt("TO:<r@l> ORCPT=" + long_orcpt).orcpt == Orcpt("rfc822", "a" * 493)
    assert rcpt_reply("TO:<r@l> ORCPT=" + long_orcpt + "a") == (
        "501 5.5.4 Syntax error in ORCPT parameter value")


def test_skipword_shortens_a_long_word_as_sendmail() -> None:
    reply = mail_reply("X" * 300)
    assert reply == f'501 5.5.2 Syntax error in parameters scanning "{"X" * 100}...{"X" * 100}"'


# ------------------------------------------------------------------ values

def test_mail_values() -> None:
    got = mail("FROM:<a@b> size=1000 body=8bitmime ret=hdrs envid=QQ+2B1 auth=u+40h by=60;rt")
    assert got == MailParams(size=1000, body="8BITMIME", ret="HDRS", envid="QQ+2B1",
                             auth="u+40h", by=DeliverBy(60, "R", True))
    assert got.envid_text == "QQ+1"
    assert MailParams().envid_text is None


def test_size_reads_like_strtol() -> None:
    assert mail("FROM:<> SIZE=12abc").size == 12
    assert mail("FROM:<> SIZE=abc").size == 0
    assert mail("FROM:<> SIZE=+7").size == 7
    assert mail("FROM:<>").size is None
    assert params.leading_long(" -12x") == -12


def test_size_later_one_wins_as_in_sendmail() -> None:
    assert mail("FROM:<> SIZE=5 SIZE=6").size == 6


def test_by_allows_blanks_after_semicolon_and_empty_number() -> None:
    assert mail("FROM:<> BY=;N").by == DeliverBy(0, "N", False)
    assert mail("FROM:<> BY=-5;N").by == DeliverBy(-5, "N", False)
    assert mail_reply("FROM:<> BY=5;") == "501 5.5.2 illegal by-mode '?'"


def test_auth_null_and_xtext() -> None:
    assert mail("FROM:<> AUTH=<>").auth == "<>"
    assert mail("FROM:<> AUTH=").auth == ""


def test_rcpt_values() -> None:
    got = rcpt("TO:<r@l> NOTIFY=delay,Success,DELAY ORCPT=rfc822;Joe+2BSmith+40example.com")
    assert got.notify == ("SUCCESS", "DELAY")
    assert got.orcpt == Orcpt("rfc822", "Joe+2BSmith+40example.com")
    assert got.orcpt.address == "Joe+Smith@example.com"
    assert str(got.orcpt) == "rfc822;Joe+2BSmith+40example.com"
    assert rcpt("TO:<r@l> NOTIFY=never").notify == ("NEVER",)
    assert rcpt("TO:<r@l>") == RcptParams()


def test_a_later_notify_replaces_the_earlier_one() -> None:
    assert rcpt("TO:<r@l> NOTIFY=SUCCESS NOTIFY=NEVER").notify == ("NEVER",)


def test_orcpt_keeps_octets_that_are_not_utf8() -> None:
    assert rcpt("TO:<r@l> ORCPT=rfc822;+FF").orcpt == Orcpt("rfc822", "+FF")
    assert Orcpt("rfc822", "+FF").address == "\udcff"


# ------------------------------------------------------------------ paths and spacing

@pytest.mark.parametrize("arg, address, rest", [
    ("FROM:<a@b> SIZE=1", "<a@b>", "SIZE=1"),
    ("from:   <a@b>   SIZE=1", "<a@b>", "  SIZE=1"),
    ("  FROM  :  <a@b>", "<a@b>", ""),
    ("FROM:<a b@c> SIZE=1", "<a b@c>", "SIZE=1"),
    ('FROM:"a b"@c SIZE=1', '"a b"@c', "SIZE=1"),
    ("FROM:<a@b>SIZE=1", "<a@b>SIZE=1", ""),
    ("FROM:a@b\tSIZE=1", "a@b", "SIZE=1"),
    ("FROM:<> RET=HDRS", "<>", "RET=HDRS"),
])
def test_path_split(arg: str, address: str, rest: str) -> None:
    path = split_mail(arg)
    assert isinstance(path, PathArgument)
    assert (path.address, path.parameters) == (address, rest)


@pytest.mark.parametrize("arg, null", [
    ("FROM:<>", True), ("FROM: < > SIZE=1", True), ("FROM:<a@b>", False),
    ("FROM:(comment)", False),
])
def test_null_sender(arg: str, null: bool) -> None:
    path = split_mail(arg)
    assert isinstance(path, PathArgument)
    assert path.null is null


def test_rcpt_path_keeps_tokens_for_parseaddr() -> None:
    path = split_rcpt("TO:<r@l> NOTIFY=NEVER")
    assert isinstance(path, PathArgument)
    assert path.tokens == ("<", "r", "@", "l", ">")
    assert split_rcpt("TO:  (only a comment)  ") == params.MISSING_RECIPIENT


@pytest.mark.parametrize("text, pairs", [
    ("", []),
    ("   ", []),
    ("SIZE=1 BODY=7BIT", [("SIZE", "1"), ("BODY", "7BIT")]),
    ("  SIZE=1\t\tX-Y", [("SIZE", "1"), ("X-Y", None)]),
    ("SIZE=1=2", [("SIZE", "1"), ("2", None)]),
    ("X@Y", [("X", None), ("Y", None)]),
    ("=5", [("", "5")]),
    ("A=b\x01c", [("A", "b"), ("c", None)]),
    ("ENVID=", [("ENVID", "")]),
    ("ORCPT=rfc822;é", [("ORCPT", "rfc822;é")]),
])
def test_split_parameters(text: str, pairs: list[tuple[str, str | None]]) -> None:
    assert split_parameters(text) == pairs


# ------------------------------------------------------------------ MaxMessageSize

def test_check_size() -> None:
    assert check_size(MailParams(size=10), 10) is None
    assert check_size(MailParams(size=11), 0) is None
    assert check_size(MailParams(), 10) is None
    assert str(check_size(MailParams(size=11), 10)) == (
        "552 5.2.3 Message size exceeds fixed maximum message size (10)")


# ------------------------------------------------------------------ shared with -N -R -V

def test_value_parsers_for_the_command_line() -> None:
    assert notify_value("failure,success") == ("SUCCESS", "FAILURE")
    assert ret_value("hdrs") == "HDRS"
    assert orcpt_value("rfc822;a+40b").address == "a@b"
    cases: list[tuple[Callable[[str], object], str, str]] = [
        (notify_value, "success,nope", "nope"), (ret_value, "x", "x"),
        (orcpt_value, "rfc822", "rfc822")]
    for parse, bad, word in cases:
        with pytest.raises(BadValue) as info:
            parse(bad)
        assert info.value.word == word


def test_refusal_fields() -> None:
    refusal = mail_reply("FROM:<> RET=x")
    assert refusal is not None
    result = parse_mail_parameters("RET=x")
    assert result == Refusal(501, "5.5.2", 'Bad argument "x" to RET')


# ------------------------------------------------------------------ properties

@given(st.text(max_size=60))
def test_orcpt_round_trip(address: str) -> None:
    got = rcpt(f"TO:<r@l> ORCPT=rfc822;{xtext.encode(address)}", Features(max_orcpt=10**6))
    assert got.orcpt is not None and got.orcpt.address == address


@given(st.binary(max_size=30))
def test_envid_round_trip(envid: bytes) -> None:
    encoded = xtext.encode(envid)
    got = mail(f"FROM:<> ENVID={encoded}")
    assert got.envid == encoded
    assert xtext.decode(got.envid) == envid


@given(st.text(max_size=80), st.booleans())
def test_any_input_gives_a_result_or_a_refusal(text: str, mail_command: bool) -> None:
    result = outcome(text, Features(), mail_command)
    assert isinstance(result, (MailParams if mail_command else RcptParams, Refusal))
    if isinstance(result, Refusal):
        assert result.code in (501, 504, 552, 555)
