"""setsender and the command line's sender arguments, on monomail's example cf."""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest

from monomail.cleanup.sender import (addquotes, full_name_argument, rfc822_string,
                                     sender_argument, sender_warning, setsender)
from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monomail.cf"


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_cf(str(EXAMPLE), identity=Identity("mail.example.com", "mail.example.com"))


@pytest.fixture(scope="module")
def rw(config: Config) -> Rewriter:
    return Rewriter(config)


@pytest.fixture()
def env(config: Config) -> RewriteEnv:
    return RewriteEnv(config, lambda line: None)


@pytest.fixture()
def passwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """A password database of one user, whatever the machine's holds."""
    entry = pwd.struct_passwd(("jdoe", "x", 1234, 1234, "*J. & Doe,Room 1,,", "/home/jdoe",
                               "/bin/sh"))

    def getpwnam(name: str) -> pwd.struct_passwd:
        if name == "jdoe":
            return entry
        raise KeyError(name)

    monkeypatch.setattr(pwd, "getpwnam", getpwnam)


@pytest.mark.parametrize("text,ok", [
    ("Joe Public", True), ('Joe "Q." Public', True), ("Joe (the) Public", True),
    ("Joe Q. Public", False), ("a,b", False), ('un"balanced', False), ("(open", False),
    ("close)", False), ("trailing\\", False), ("esc\\.aped", True),
])
def test_rfc822_string(text: str, ok: bool) -> None:
    assert rfc822_string(text) is ok


def test_command_line_arguments() -> None:
    assert full_name_argument("Joe Q. Public") == '"Joe Q. Public"'
    assert full_name_argument("Joe\nBloggs") == "Joe Bloggs"
    assert addquotes('a"b\\c') == '"a\\"b\\\\c"'
    assert sender_argument("") == "<>" and sender_argument("a\nb") == "a b"


def test_local_sender_gets_the_gecos_name(config: Config, rw: Rewriter, env: RewriteEnv,
                                          passwd: None) -> None:
    sender = setsender(config, rw, env, "jdoe", real_user="root", smtp=False)
    assert (sender.envelope, sender.full_name, sender.home) == (
        "jdoe", "J. Jdoe Doe", "/home/jdoe")
    assert env.macros[ord("f")] == "jdoe" and env.macros[ord("x")] == "J. Jdoe Doe"
    named = setsender(config, rw, env, "jdoe", real_user="root", smtp=False, full_name="Other")
    assert named.full_name == "Other"


def test_remote_sender_has_no_full_name(config: Config, rw: Rewriter, env: RewriteEnv) -> None:
    sender = setsender(config, rw, env, "joe@example.org", real_user="root", smtp=False,
                       full_name="Ignored")
    assert sender.full_name is None and env.macros[ord("x")] == ""
    assert sender.envelope == "joe@example.org" and sender.mailer.name == "esmtp"


def test_unusable_senders_fall_back(config: Config, rw: Rewriter, env: RewriteEnv,
                                    passwd: None) -> None:
    program = setsender(config, rw, env, "|/bin/true", real_user="jdoe", smtp=False)
    assert [p.reply for p in program.problems] == ["553 5.1.7 Invalid sender address"]
    assert program.paddr == "jdoe"
    broken = setsender(config, rw, env, "j\x81@x", real_user="jdoe", smtp=True)
    assert broken.paddr == "MAILER-DAEMON" and broken.problems == []


def test_sender_warning(config: Config, rw: Rewriter, env: RewriteEnv, passwd: None) -> None:
    jdoe = setsender(config, rw, env, "jdoe", real_user="jdoe", smtp=False)
    assert sender_warning(config, jdoe, "jdoe", "jdoe") is None
    other = setsender(config, rw, env, "boss@example.org", real_user="jdoe", smtp=False)
    assert sender_warning(config, other, "boss@example.org", "jdoe") == \
        "jdoe set sender to boss@example.org using -f"
    assert sender_warning(config, other, "boss@example.org", "root") is None  # class t
