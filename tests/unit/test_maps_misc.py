"""dequote, macro, arith, arpa, null, syslog, user, program, sequence and switch maps."""

from __future__ import annotations

import logging
import pwd
from pathlib import Path

import pytest

from monomail.maps.base import SM_NOTFOUND
from monomail.maps.hostlookup import HostLookup
from monomail.maps.miscmaps import c_divmod, macro_name
from monomail.clib import strtol
from monomail.maps.sysmaps import full_name
from monomail.sysexits import (EX_CONFIG, EX_DATAERR, EX_NOTFOUND, EX_NOUSER, EX_OK,
                               EX_TEMPFAIL)
from test_maps import Ctx, Fixed, make

# ---- dequote -------------------------------------------------------------------------


@pytest.mark.parametrize("key,expected", [
    ('"ab"', "ab"), ("ab", None), ('"a b"', None), ('"a"<b>', "a<b>"), ('"a(b"', None),
    ('"a>"', None), ('"x"(c)', "x(c)"), ('"x"(c d)', None), ('"a\\"b"', 'a\\"b'),
    ('"a\\', None), ('"a', None),
])
def test_dequote(key: str, expected: str | None) -> None:
    assert make("d dequote").lookup_raw(key, [key], Ctx())[0] == expected


def test_dequote_space_substitution_append_and_quotes_kept() -> None:
    ctx = Ctx()
    assert make("d dequote -S_").lookup_raw('"a b"', ['"a b"'], ctx) == ("a_b", EX_OK)
    assert make("d dequote -a.").lookup('"ab"', ['"ab"'], ctx) == ("ab.", EX_OK)
    assert make("d dequote").lookup("ab", ["ab"], ctx) == (None, EX_NOTFOUND)


# ---- macro ---------------------------------------------------------------------------


def test_macro_map_sets_and_clears_macros() -> None:
    ctx = Ctx()
    m = make("storage macro")
    assert m.lookup("{client_name}", ["{client_name}", "host.example"], ctx) == ("", EX_OK)
    assert ctx.macros["client_name"] == "host.example"
    assert m.lookup("{client_name}", ["{client_name}"], ctx) == ("", EX_OK)
    assert "client_name" not in ctx.macros
    assert m.lookup("xyz", ["xyz", "v"], ctx) == ("", EX_OK) and ctx.macros["x"] == "v"
    assert m.lookup("{z}", ["{z}", "w"], ctx) == ("", EX_OK) and ctx.macros["z"] == "w"


def test_macro_name_errors() -> None:
    said: list[str] = []
    assert macro_name("", said.append) is None
    assert macro_name("{ab-c}", said.append) == "abc"
    assert macro_name("{abc", said.append) is None
    assert macro_name("{" + "a" * 30 + "}", said.append) is None
    unassigned = "Unable to assign macro/class ID (mid = 0xffffffff)"
    assert said == ["Name required for macro/class", "Invalid macro/class character -",
                    "Unbalanced { on abc", unassigned, f"Macro/class name ({{{'a' * 25}}}) "
                    "too long (25 chars max)", unassigned]
    ctx = Ctx()
    assert make("s macro").lookup_raw("", [""], ctx) == (None, EX_CONFIG)


# ---- arith ---------------------------------------------------------------------------


@pytest.mark.parametrize("op,a,b,expected", [
    ("+", "1", "2", "3"), ("-", "1", "2", "-1"), ("*", "0x10", "010", "128"),
    ("/", "-7", "2", "-3"), ("%", "-7", "2", "-1"), ("|", "5", "2", "7"), ("&", "6", "3", "2"),
    ("l", "1", "2", "TRUE"), ("l", "2", "1", "FALSE"), ("=", "3", "3", "TRUE"),
    ("+", "9223372036854775807", "1", "-9223372036854775808"), ("+", "12abc", " 3", "15"),
    ("/", "1", "0", None), ("%", "1", "0", None),
])
def test_arith(op: str, a: str, b: str, expected: str | None) -> None:
    assert make("a arith").lookup_raw(op, [op, a, b], Ctx())[0] == expected


def test_arith_errors_random_and_no_rewrite() -> None:
    ctx = Ctx()
    a = make("a arith -a!")
    assert a.lookup_raw("+", ["+", "1"], ctx) == (None, EX_CONFIG)
    assert a.lookup_raw("^", ["^", "1", "2"], ctx) == (None, EX_CONFIG)
    assert a.lookup("+", ["+", "1", "2"], ctx) == ("3", EX_OK)
    assert a.lookup_raw("r", ["r", "5", "4"], ctx) == (None, EX_OK)
    values = {a.lookup_raw("r", ["r", "1", "3"], ctx)[0] for _ in range(200)}
    assert values == {"1", "2", "3"}


def test_c_arithmetic_helpers() -> None:
    assert (strtol("0x", 0), strtol("08", 0), strtol("-0x1f", 0), strtol("99999999999999999999")) == (
        0, 0, -31, 9223372036854775807)
    assert c_divmod(7, -2) == (-3, 1)


# ---- arpa ----------------------------------------------------------------------------


def test_arpa() -> None:
    ctx = Ctx()
    assert make("a arpa").lookup_raw("1.2.3.4", ["1.2.3.4"], ctx) == ("4.3.2.1", EX_OK)
    v6 = make("a arpa").lookup_raw("IPv6:2001:db8::1", ["x"], ctx)[0]
    assert v6 == "1.0.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2"
    assert make("a arpa").lookup_raw("bogus", ["bogus"], ctx) == (None, EX_DATAERR)
    assert make("a arpa").lookup_raw("01.2.3.4", ["x"], ctx) == (None, EX_DATAERR)
    assert make("a arpa -a.in-addr.arpa").lookup_raw("10.0.0.1", ["x"], ctx) == (
        "1.0.0.10.in-addr.arpa", EX_OK)


# ---- null and syslog -----------------------------------------------------------------


def test_null() -> None:
    assert make("n null").lookup_raw("k", ["k"], Ctx()) == (None, SM_NOTFOUND)


def test_syslog_logs_the_rewritten_key(caplog: pytest.LogCaptureFixture) -> None:
    ctx = Ctx(macros={"i": "ABC123"})
    with caplog.at_level(logging.DEBUG, logger="monomail.maps.syslog"):
        assert make("s syslog -LWARNING").lookup("hello", ["hello"], ctx) == ("", EX_OK)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "ABC123: hello")]


# ---- user ----------------------------------------------------------------------------


ROOT = pwd.getpwuid(0)


def test_user_fields() -> None:
    ctx = Ctx()
    name = ROOT.pw_name
    assert make("u user").lookup_raw(name, [name], ctx) == (name, EX_OK)
    assert make("u user").lookup_raw(name.upper(), ["x"], ctx) == (name, EX_OK)
    assert make("u user -m").lookup_raw(name.upper(), ["x"], ctx) == (name, EX_OK)
    assert make("u user").lookup_raw("no-such-user-x", ["x"], ctx) == (None, EX_NOUSER)
    for field, value in (("uid", "0"), ("gid", str(ROOT.pw_gid)), ("dir", ROOT.pw_dir),
                         ("shell", ROOT.pw_shell), ("passwd", "x"),
                         ("gecos", full_name(ROOT.pw_gecos, name))):
        assert make(f"u user -v{field}").lookup_raw(name, [name], ctx) == (value, EX_OK)


def test_user_unknown_column_is_bogus() -> None:
    ctx = Ctx()
    assert make("u user -vfoo").lookup("root", ["root"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == ["User map u: unknown column name foo"]


def test_full_name() -> None:
    assert full_name("*& Smith,room 1", "joe") == "Joe Smith"
    assert full_name("Ann;x", "ann") == "Ann"
    assert full_name("x" * 300, "joe") == "joe"


def test_user_gecos_matching_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # a passwd entry with a full name, whatever this system's passwd holds
    entry = pwd.struct_passwd(("jdoe", "x", 4242, 4242, "Jane Doe,,,", "/home/jdoe", "/bin/sh"))
    monkeypatch.setattr(pwd, "getpwall", lambda: [entry])
    key = full_name(entry.pw_gecos, entry.pw_name).replace(" ", "_")
    assert make("u user").lookup_raw(key, [key], Ctx(match_gecos=True)) == (entry.pw_name, EX_OK)
    assert make("u user").lookup_raw(key, [key], Ctx())[0] is None


# ---- program -------------------------------------------------------------------------


def shell_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_program_answers_the_first_line(tmp_path: Path) -> None:
    script = shell_script(tmp_path / "prog", 'printf "%s|%s\\nsecond\\n" "$1" "$2"\n')
    ctx = Ctx()
    p = make(f"p program {script} -x")
    assert p.lookup("key", ["key"], ctx) == ("-x|key", EX_OK)
    assert make(f"p program {script}").lookup_raw("k", ["k"], ctx) == ("k|", EX_OK)
    assert make(f"p program -m {script}").lookup_raw("k", ["k"], ctx) == ("k", EX_OK)


def test_program_exit_status_is_the_lookup_status(tmp_path: Path) -> None:
    script = shell_script(tmp_path / "prog", "echo out\nexit $1\n")
    ctx = Ctx()
    p = make(f"p program {script}")
    assert p.lookup_raw("75", ["75"], ctx) == (None, 75)
    assert p.lookup("75", ["75"], ctx) == (None, EX_TEMPFAIL)
    assert p.lookup("1", ["1"], ctx) == (None, EX_NOTFOUND)
    silent = shell_script(tmp_path / "silent", "exit 0\n")
    assert make(f"s program {silent}").lookup_raw("k", ["k"], ctx) == (None, EX_OK)


def test_program_that_cannot_run(tmp_path: Path) -> None:
    ctx = Ctx()
    assert make(f"p program {tmp_path}/none").lookup_raw("k", ["k"], ctx) == (None, EX_CONFIG)
    assert ctx.messages == []


def test_program_runs_as_the_default_user() -> None:
    # the suite runs as root (the differential tests need unshare), as CI does
    ctx = Ctx(default_uid=1, default_gid=1)
    value, status = make("p program /usr/bin/env").lookup_raw("id", ["id"], ctx)
    assert status == EX_OK and value is not None and value.startswith("uid=1(")


# ---- sequence and switch -------------------------------------------------------------


def test_sequence_takes_the_first_answer_and_reports_tempfail_last() -> None:
    ctx = Ctx()
    ctx.maps["a"] = Fixed({"x": "from a"})
    ctx.maps["b"] = Fixed({"y": "from b %1"}, miss=EX_TEMPFAIL)
    ctx.maps["c"] = Fixed({"z": "from c"})
    seq = make("s sequence a b c", known=ctx.maps)
    assert seq.lookup("x", ["x"], ctx) == ("from a", EX_OK)
    assert seq.lookup('"y"', ["y", "arg"], ctx) == ("from b arg", EX_OK)
    assert seq.lookup("z", ["z"], ctx) == ("from c", EX_OK)
    assert seq.lookup("none", ["none"], ctx) == (None, EX_TEMPFAIL)
    assert make("t sequence a c", known=ctx.maps).lookup_raw("n", ["n"], ctx) == (
        None, SM_NOTFOUND)


def test_sequence_members_bound_lazily_and_unopenable_ones_skipped(tmp_path: Path) -> None:
    ctx = Ctx()
    seq = make("s sequence opt later")
    make(f"opt text -o {tmp_path}/none", ctx)
    ctx.maps["later"] = Fixed({"k": "v"})
    assert seq.lookup("k", ["k"], ctx) == ("v", EX_OK)


def test_sequence_with_a_bogus_member_fails_temporarily(tmp_path: Path) -> None:
    ctx = Ctx()
    make(f"gone hash {tmp_path}/none", ctx)
    ctx.maps["ok"] = Fixed({"k": "v"})
    seq = make("s sequence gone ok", known=ctx.maps)
    assert seq.lookup("k", ["k"], ctx) == ("v", EX_OK)
    assert seq.lookup("x", ["x"], ctx) == (None, EX_TEMPFAIL)


def test_switch_uses_the_service_switch(tmp_path: Path) -> None:
    (tmp_path / "switch").write_text("aliases files nis\n# hosts x\n")
    hosts = HostLookup(str(tmp_path / "switch"), str(tmp_path / "hosts"))
    ctx = Ctx(hosts=hosts)
    ctx.maps["al.files"] = Fixed({"a": "from files"})
    ctx.maps["al.nis"] = Fixed({"b": "from nis"})
    sw = make("al switch aliases", ctx)
    assert sw.lookup("b", ["b"], ctx) == ("from nis", EX_OK)
    assert sw.lookup("c", ["c"], ctx) == (None, EX_NOTFOUND)
    missing = make("mi switch aliases", ctx)
    assert missing.lookup("a", ["a"], ctx) == (None, EX_NOTFOUND)
    assert ctx.messages == ["Switch map mi: unknown member map mi.files",
                            "Switch map mi: unknown member map mi.nis"]
    assert make("x switch nosuchservice").lookup("a", ["a"], ctx) == (None, EX_TEMPFAIL)
