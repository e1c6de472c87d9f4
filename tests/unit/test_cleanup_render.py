"""putxline, putheader and render for one mailer, on monomail's example cf
(tests/cleanup compares whole outputs with what sendmail gives its mailers)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from monomail.cleanup.message import Message
from monomail.cleanup.putheader import HeaderWriteError, queue_header_lines
from monomail.cleanup.putline import (PXLF_HEADER, PXLF_MAPFROM, PXLF_NOADDEOL,
                                      PXLF_STRIPMQUOTE, MailerOutput)
from monomail.cleanup.render import ConversionNeeded, header_context, render
from monomail.config.cfparser import parse_cf
from monomail.config.headerinfo import (H_ACHECK, H_BCC, H_BINDLATE, H_CHECK, H_DEFAULT,
                                        H_FORCE, H_FROM, H_RCPT, H_RECEIPTTO, H_RESENT, H_USER)
from monomail.config.identity import Identity
from monomail.config.model import Config, Mailer
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.headers import HeaderField

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monomail.cf"


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_cf(str(EXAMPLE), identity=Identity("mail.example.com", "mail.example.com"))


@pytest.fixture(scope="module")
def rw(config: Config) -> Rewriter:
    """One per module: compiling the rules is the slow part."""
    return Rewriter(config)


@pytest.fixture()
def env(config: Config) -> RewriteEnv:
    env = RewriteEnv(config, lambda line: None)
    env.define_macro("g", "joe@example.org")
    env.define_macro("d", "Wed Nov 25 04:00:00 2026")
    return env


def mailer(config: Config, name: str = "esmtp", **changes: object) -> Mailer:
    found = config.mailer(name)
    assert found is not None
    return dataclasses.replace(found, **changes)  # type: ignore[arg-type]


def put(m: Mailer, text: str, flags: int, seven_bit: bool = False) -> str:
    out = MailerOutput(m, seven_bit=seven_bit)
    out.putxline(text, flags)
    return "".join(out.parts)


def test_putxline_splits_long_lines_for_the_limit(config: Config) -> None:
    m = mailer(config, linelimit=10, eol="\n")
    assert put(m, "abcdefghijklmnopqrstuvwxyz", 0) == "abcdefghi!\n jklmnopq!\n rstuvwxyz\n"
    assert put(m, "short", 0) == "short\n"


def test_putxline_escapes_from_lines_for_mailers_with_e(config: Config) -> None:
    with_e = mailer(config, flags=frozenset("E"), eol="\r\n", linelimit=0)
    assert put(with_e, "From me", PXLF_MAPFROM) == ">From me\r\n"
    assert put(with_e, "From me", 0) == "From me\r\n"
    assert put(mailer(config, flags=frozenset(), linelimit=0), "From me", PXLF_MAPFROM) == \
        "From me\r\n"


def test_putxline_header_continuations_metaquotes_and_7bit(config: Config) -> None:
    m = mailer(config, linelimit=0, eol="\n")
    assert put(m, "X: a\nb\n c", PXLF_HEADER) == "X: a\n b\n c\n"
    assert put(m, "X: \xff\x81\xff\xff", PXLF_STRIPMQUOTE) == "X: \x81\xff\n"
    assert put(m, "X: \xe4", 0, seven_bit=True) == "X: d\n"
    out = MailerOutput(m)
    out.putxline("no end", PXLF_NOADDEOL)
    assert out.parts == ["no end"] and out.long_line


def field(name: str, value: str, flags: int = H_USER, mflags: str = "",
          macro: str | None = None) -> HeaderField:
    return HeaderField(name, value, flags, mflags, macro)


def headers_of(config: Config, rw: Rewriter, env: RewriteEnv, message: Message, m: Mailer,
               **ctx) -> str:
    data = render(message, m, header_context(config, rw, env, **ctx))
    lines = data.decode("latin-1").split(m.eol)
    return m.eol.join(lines[:lines.index("")])


def test_conditions_select_fields_per_mailer(config: Config, rw: Rewriter,
                                             env: RewriteEnv) -> None:
    message = Message([
        field("Return-Path", " <\x81g>", H_DEFAULT | H_BINDLATE | H_ACHECK | H_FORCE, "P"),
        field("X-If-Macro", " yes", H_DEFAULT | H_CHECK, "", "client_name"),
        field("Full-Name", " Joe", H_ACHECK, "x"),
        field("Resent-Date", " now", H_RESENT),
        field("Content-Length", " 3", H_USER | H_ACHECK),
        field("Subject", " hi")], b"b\n")
    local = mailer(config, "local")
    assert headers_of(config, rw, env, message, local) == (
        "Return-Path: <joe@example.org>\nSubject: hi")
    env.define_macro("client_name", "client.example")
    message.resent = True
    assert headers_of(config, rw, env, message, mailer(config)) == \
        "X-If-Macro: yes\r\nResent-Date: now\r\nSubject: hi"


def test_bcc_is_dropped_or_emptied(config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([field("Bcc", " secret@example.org", H_USER | H_RCPT | H_BCC)], b"")
    m = mailer(config, "local")
    assert headers_of(config, rw, env, message, m) == "Bcc:"
    message.delete_bcc = True
    assert headers_of(config, rw, env, message, m) == ""


def test_receipt_requests_go_with_rrt_implies_dsn(config: Config, rw: Rewriter,
                                                  env: RewriteEnv) -> None:
    message = Message([field("Return-Receipt-To", " a@b", H_USER | H_RECEIPTTO)], b"")
    m = mailer(config, "local")
    assert headers_of(config, rw, env, message, m) == "Return-Receipt-To: a@b"
    assert headers_of(config, rw, env, message, m, no_receipt=True) == ""


def test_address_fields_are_rewritten_and_folded(config: Config, rw: Rewriter,
                                                 env: RewriteEnv) -> None:
    many = ", ".join(f"user{i}" for i in range(12))
    message = Message([field("From", " Joe <joe>", H_USER | H_FROM),
                       field("To", " " + many, H_USER | H_RCPT)], b"")
    text = headers_of(config, rw, env, message, mailer(config))
    lines = text.split("\r\n")
    assert lines[0] == "From: Joe <joe@mail.example.com>"
    assert lines[1].startswith("To: user0@mail.example.com, ") and lines[1].endswith(",")
    assert all(len(line) <= 79 for line in lines) and lines[2].startswith(" " * 8)  # 78 + ","
    assert text.count("@mail.example.com") == 13


def test_old_style_lists_are_blank_separated(config: Config, rw: Rewriter,
                                             env: RewriteEnv) -> None:
    message = Message([field("To", " a b c", H_USER | H_RCPT)], b"", oldstyle=True)
    assert headers_of(config, rw, env, message, mailer(config, "local")) == "To: a, b, c"


def test_seven_bit_headers_for_f6(config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([field("Subject", " \xe4")], b"")
    assert headers_of(config, rw, env, message, mailer(config, "local")) == "Subject: \xe4"
    six = mailer(config, "local", flags=frozenset("6ln"))
    assert headers_of(config, rw, env, message, six) == "Subject: d"


def test_undeclared_8bit_text_is_declared_with_eightbitmode_m(
        config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([field("Subject", " x")], b"\xe4\n", has_8bit=True)
    text = headers_of(config, rw, env, message, mailer(config, "local"), mime_8bit=True,
                      default_charset="iso-8859-1")
    assert text.split("\n")[1:] == ["MIME-Version: 1.0",
                                    "Content-Type: text/plain; charset=iso-8859-1",
                                    "Content-Transfer-Encoding: 8bit"]
    eight = mailer(config, "local", flags=frozenset("ln8"))
    assert headers_of(config, rw, env, message, eight, mime_8bit=True) == "Subject: x"


def test_unix_from_line_and_line_ends(config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([field("Subject", " x")], b"From here\nno end")
    prog = mailer(config, "prog", flags=frozenset("lsDFM"), eol="\n", linelimit=0)
    ctx = header_context(config, rw, env)
    assert render(message, prog, ctx) == (  # the cf's UnixFromLine: From $g $d
        b"From joe@example.org Wed Nov 25 04:00:00 2026\nSubject: x\n\nFrom here\nno end\n")
    uucp = dataclasses.replace(prog, flags=frozenset("lsDFMUE"))
    env.define_macro("g", "host!joe")
    assert render(message, uucp, ctx).split(b"\n")[0] == (
        b"From joe  Wed Nov 25 04:00:00 2026 remote from host")  # sendmail's own template
    assert b"\n>From here\n" in render(message, uucp, ctx)
    smtp = mailer(config)
    assert render(message, smtp, ctx) == b"Subject: x\r\n\r\nFrom here\r\nno end\r\n"


def test_eight_to_seven_bit_conversion_is_refused_loudly(config: Config,
                                                        rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([], b"\xe4\n", has_8bit=True)
    ctx = header_context(config, rw, env)
    with pytest.raises(ConversionNeeded):
        render(message, mailer(config, flags=frozenset("7")), ctx)
    with pytest.raises(ConversionNeeded):
        render(message, mailer(config), ctx, convert_8to7=True)
    message.dont_mime = True
    assert render(message, mailer(config, flags=frozenset("7")), ctx) == b"\r\nd\r\n"


def test_header_rewriting_failures_stop_smtp(config: Config, rw: Rewriter, env: RewriteEnv,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import monomail.cleanup.putheader as putheader
    monkeypatch.setattr(putheader, "remotename", lambda *args: ("x", 75))
    message = Message([field("To", " a", H_USER | H_RCPT)], b"")
    with pytest.raises(HeaderWriteError) as caught:
        render(message, mailer(config), header_context(config, rw, env))
    assert caught.value.status == 75


def test_queue_header_lines_keep_conditions(config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    message = Message([
        field("Return-Path", " <\x81g>", H_DEFAULT | H_BINDLATE | H_ACHECK | H_FORCE, "P"),
        field("X-M", " \x81j", H_DEFAULT | H_CHECK, "", "client_name"),
        field("Date", " now", H_CHECK, "D"),
        field("Resent-Date", " now", H_RESENT | H_CHECK, "D"),
        field("X-Empty", " \x81x", H_DEFAULT)], b"")
    env.define_macro("client_name", "c")
    assert queue_header_lines(message, header_context(config, rw, env)) == [
        "H?P?Return-Path: <\x81g>\n", "H?${client_name}?X-M: mail.example.com\n",
        "H?D?Date: now\n"]
