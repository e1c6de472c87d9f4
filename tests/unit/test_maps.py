"""Maps: the lookup pipeline, K-line flag parsing and the class registry.

`Ctx` and `make` are shared by the other test_maps_* modules.
"""

from __future__ import annotations

from typing import Mapping

import pytest

from monomail.config.errors import ConfigError
from monomail.config.mapspec import MapSpec
from monomail.maps.base import SM_NOTFOUND, Map, MapOptions, lower_ascii, map_rewrite
from monomail.maps.hostlookup import HostLookup
from monomail.maps.parseargs import (parse_dequote, parse_dns, parse_host, parse_regex,
                                     parse_standard, parse_syslog, sequence_names)
from monomail.maps.registry import MapConfigError, build_map
from monomail.maps.seqmap import SequenceMap, find_map
from monomail.sysexits import EX_NOTFOUND, EX_OK, EX_TEMPFAIL


class Ctx:
    """A MapContext for tests: plain dicts, messages collected."""

    def __init__(self, macros: Mapping[str, str] | None = None,
                 maps: Mapping[str, Map] | None = None, hosts: HostLookup | None = None,
                 **extra: object) -> None:
        self.macros = dict(macros or {"m": "example.com"})
        self.maps = dict(maps or {})
        self.messages: list[str] = []
        self.hosts = hosts or HostLookup("/nonexistent/switch", "/nonexistent/hosts",
                                         nameservers=["127.0.0.1"], port=9, timeout=0.05,
                                         attempts=1)
        for key, value in extra.items():
            setattr(self, key, value)

    def macro(self, name: str) -> str | None:
        return self.macros.get(name)

    def define_macro(self, name: str, value: str | None) -> None:
        if value is None:
            self.macros.pop(name, None)
        else:
            self.macros[name] = value

    def in_class(self, cls: str, word: str) -> bool:
        return False

    def get_map(self, name: str) -> Map | None:
        return find_map(self.maps, name)

    def message(self, text: str) -> None:
        self.messages.append(text)


def make(line: str, ctx: Ctx | None = None, **kw: object) -> Map:
    """A map from "name class args" (added to ctx.maps when a ctx is given)."""
    name, mclass, *rest = line.split(None, 2)
    built = build_map(MapSpec(name, mclass, rest[0] if rest else "", "t.cf: line 1"),
                      **kw)  # type: ignore[arg-type]
    if ctx is not None:
        ctx.maps[name] = built
    return built


class Fixed(Map):
    """A map class answering from a dict, with a scripted status for misses."""

    def __init__(self, table: dict[str, str], miss: int = SM_NOTFOUND, **opts: object) -> None:
        super().__init__(MapOptions(name="fixed", mclass="fixed", **opts))  # type: ignore[arg-type]
        self.table = table
        self.miss = miss
        self.keys: list[str] = []

    def _lookup(self, key, args, ctx):  # type: ignore[no-untyped-def]
        self.keys.append(key)
        if key in self.table:
            return self.answer(key, self.table[key], args), EX_OK
        return None, self.miss


# ---- map_rewrite ----------------------------------------------------------------------


@pytest.mark.parametrize("value,args,app,expected", [
    ("plain", ["k"], None, "plain"),
    ("%0 and %1", ["key", "arg"], None, "key and arg"),
    ("%2|%9", ["key", "a"], None, "|"),
    ("100%% %x %", ["k"], None, "100% %x %"),
    ("a%1", None, "!", "a%1!"),
    ("cut\0here", ["k"], None, "cut"),
    ("v", ["k"], "", "v"),
])
def test_map_rewrite(value: str, args: list[str] | None, app: str | None, expected: str) -> None:
    assert map_rewrite(value, args, app) == expected


def test_lower_ascii_leaves_latin1_alone() -> None:
    assert lower_ascii("ABC\xc9") == "abc\xc9"


# ---- the lookup pipeline --------------------------------------------------------------


def test_lookup_strips_quotes_and_passes_the_stripped_key_as_percent_zero() -> None:
    m = Fixed({"a b": "<%0|%1>"})
    assert m.lookup('"a b"', ['"a b"', "x"], Ctx()) == ("<a b|x>", EX_OK)
    assert m.keys == ["a b"]


def test_lookup_keeps_quotes_under_q() -> None:
    m = Fixed({'"a"': "yes"}, keepquotes=True)
    assert m.lookup('"a"', ['"a"'], Ctx()) == ("yes", EX_OK)


def test_lookup_not_found_and_tempfail_statuses() -> None:
    assert Fixed({}).lookup("k", ["k"], Ctx()) == (None, EX_NOTFOUND)
    assert Fixed({}, miss=EX_TEMPFAIL).lookup("k", ["k"], Ctx()) == (None, EX_TEMPFAIL)


def test_tempfail_under_t_is_not_reported() -> None:
    m = Fixed({}, miss=EX_TEMPFAIL, nodefer=True)
    assert m.lookup("k", ["k"], Ctx()) == (None, EX_NOTFOUND)


def test_T_appends_to_the_key_on_tempfail() -> None:
    assert Fixed({}, miss=EX_TEMPFAIL, tapp="<TMP>").lookup('"k"', ["k"], Ctx()) == (
        "k<TMP>", EX_TEMPFAIL)
    assert Fixed({}, miss=EX_TEMPFAIL, tapp="", nodefer=True).lookup("k", ["k"], Ctx()) == (
        "k", EX_OK)


def test_D_defers_only_in_defer_delivery_mode() -> None:
    m = Fixed({"k": "v"}, defer=True)
    assert m.lookup("k", ["k"], Ctx(delivery_mode="d")) == (None, EX_TEMPFAIL)
    assert m.lookup("k", ["k"], Ctx(delivery_mode="b")) == ("v", EX_OK)


def test_at_most_eight_arguments_reach_the_map() -> None:
    m = Fixed({"k": "%8%9"})
    args = ["k"] + [str(i) for i in range(1, 12)]
    assert m.lookup("k", args, Ctx()) == ("8", EX_OK)


class Unopenable(Fixed):
    def _open(self, ctx):  # type: ignore[no-untyped-def]
        ctx.message("cannot open")
        return False


def test_failed_open_makes_a_map_bogus_until_closed() -> None:
    m, ctx = Unopenable({"k": "v"}), Ctx()
    assert m.lookup("k", ["k"], ctx) == (None, EX_TEMPFAIL)
    assert m.lookup("k", ["k"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == ["cannot open"]
    assert m.is_open and m.valid
    m.close()
    assert not m.is_open


def test_failed_open_of_an_optional_map_finds_nothing_and_stops_trying() -> None:
    m, ctx = Unopenable({"k": "v"}, optional=True), Ctx()
    assert m.lookup("k", ["k"], ctx) == (None, EX_NOTFOUND)
    assert not m.valid
    assert m.lookup_raw("k", ["k"], ctx) == (None, SM_NOTFOUND)
    assert ctx.messages == ["cannot open"]


def test_lookup_raw_does_no_quote_handling() -> None:
    m = Fixed({'"a"': "quoted"})
    assert m.lookup_raw('"a"', ['"a"'], Ctx()) == ("quoted", EX_OK)


# ---- K-line parsing -------------------------------------------------------------------


def test_standard_flags() -> None:
    p = parse_standard("m", "hash", "-A -a.x -D -d5m -f -k 2 -m -N -o -q -S_ -T<T> -t "
                       "-v3 -z: /etc/file extra words", False)
    assert p.ok and not p.errors
    o = p.options("m", "hash")
    assert (o.append, o.app, o.defer, o.timeout, o.nofoldcase, o.keycol, o.matchonly) == (
        True, ".x", True, 300, True, "2", True)
    assert (o.inclnull, o.try0null, o.try1null, o.optional, o.keepquotes) == (
        True, False, True, True, True)
    assert (o.spacesub, o.tapp, o.nodefer, o.valcol, o.coldelim) == ("_", "<T>", True, "3", ":")
    assert (o.file, o.rebuild) == ("/etc/file", "extra words")


def test_standard_defaults_and_O() -> None:
    o = parse_standard("m", "hash", "-O f", False).options("m", "hash")
    assert (o.try0null, o.try1null, o.spacesub, o.app, o.tapp) == (True, False, " ", None, None)
    assert parse_standard("m", "hash", "f", False, blank_sub=".").fields["spacesub"] == "."


@pytest.mark.parametrize("text,delim", [("-z\\t /f", "\t"), ("-z\\n /f", "\n"),
                                        ("-z\\x /f", "\\"), ("-z /f", " "), ("-z", "")])
def test_z_escapes(text: str, delim: str) -> None:
    assert parse_standard("m", "text", text, False).fields["coldelim"] == delim


def test_empty_a_and_T_are_set_but_empty() -> None:
    o = parse_standard("m", "hash", "-a -T f", False).options("m", "hash")
    assert (o.app, o.tapp, o.file) == ("", "", "f")


def test_illegal_options_and_missing_file() -> None:
    p = parse_standard("y", "hash", "-x -y", False)
    assert p.errors == ["Illegal option x map y", "Illegal option y map y",
                        "No file name for hash map y"]
    assert not p.ok
    assert parse_standard("u", "user", "-vuid", True).ok


def test_host_parser_ignores_unknown_flags() -> None:
    p = parse_host("h", "host", "-a. -x -D -d 3s -r 2 -m -t -T<TMP> -S+")
    o = p.options("h", "host")
    assert not p.errors
    assert (o.app, o.defer, o.timeout, o.retry, o.matchonly, o.nodefer, o.tapp, o.spacesub) == (
        ".", True, 3, 2, True, True, "<TMP>", "+")


def test_dequote_parser_reads_only_the_first_flag() -> None:
    o = parse_dequote("d", "dequote", "-s+ -a.").options("d", "dequote")
    assert (o.spacesub, o.app, o.keepquotes) == ("+", None, True)
    o = parse_dequote("d", "dequote", "-a. -s+").options("d", "dequote")
    assert (o.spacesub, o.app) == ("", ".")
    assert parse_dequote("d", "dequote", "-D").fields["defer"] is True


def test_regex_parser_takes_the_rest_as_pattern() -> None:
    p, rx = parse_regex("r", "regex", "-n -f -b -s1,2 -d+ -a@ -m -q -S_ -D -z ^a b$")
    o = p.options("r", "regex")
    assert (rx.pattern, rx.negate, rx.basic, rx.substrings, rx.delim) == (
        "^a b$", True, True, "1,2", "+")
    assert (o.nofoldcase, o.app, o.matchonly, o.keepquotes, o.spacesub, o.defer) == (
        True, "@", True, True, "_", True)


def test_sequence_names() -> None:
    assert sequence_names("a, b.c  _d -x") == ["a", "b.c", "d", "x"]


def test_syslog_parser() -> None:
    p, level = parse_syslog("s", "syslog", "-D -S_ -L LOG_WARNING")
    assert (level, p.fields["defer"], p.fields["spacesub"], p.ok) == ("WARNING", True, "_", True)
    p, _ = parse_syslog("s", "syslog", "-Lbogus")
    assert p.errors == ["syslog_map_parseargs: Unknown priority bogus"] and not p.ok
    p, _ = parse_syslog("s", "syslog", "-x")
    assert p.errors == ["Illegal option x map syslog"]


def test_dns_parser() -> None:
    p, d = parse_dns("d", "dns", "-RMX -B example.com -Z 2 -z, -r3 -d1s -a.")
    assert (d.rtype, d.base, d.sizelimit) == ("MX", "example.com", 2)
    assert (p.fields["coldelim"], p.fields["retry"], p.fields["timeout"]) == (",", 3, 1)
    p, d = parse_dns("d", "dns", "-Rbogus")
    assert p.errors == ["dns map d: wrong type bogus", "dns map d: missing -R type"]


# ---- the registry ---------------------------------------------------------------------


def test_unknown_and_unsupported_classes() -> None:
    with pytest.raises(ConfigError, match="t.cf: line 1: readcf: map x: class foo not available"):
        make("x foo /f")
    with pytest.raises(ConfigError, match="map class ldap not supported by monomail"):
        make("x ldap -k uid")
    assert not isinstance(pytest.raises(ConfigError, make, "x nis f").value, MapConfigError)


def test_class_names_are_case_insensitive() -> None:
    assert make("x HASH /f").mclass == "HASH"


def test_config_error_still_carries_the_map_sendmail_defines() -> None:
    with pytest.raises(MapConfigError) as info:
        make("y hash -x /f")
    assert info.value.messages == ("Illegal option x map y",)
    assert info.value.map is not None and info.value.map.valid
    with pytest.raises(MapConfigError) as info:
        make("x hash")
    assert str(info.value) == "t.cf: line 1: No file name for hash map x"
    assert info.value.map is not None and not info.value.map.valid
    assert info.value.map.lookup("k", ["k"], Ctx()) == (None, EX_NOTFOUND)


def test_sequence_binds_known_members_and_reports_unknown_ones() -> None:
    ctx = Ctx()
    a = make("a text /nonexistent", ctx)
    with pytest.raises(MapConfigError) as info:
        make("s sequence A nope", known=ctx.maps)
    assert info.value.messages == ("Sequence map s: unknown member map nope",)
    seq = info.value.map
    assert isinstance(seq, SequenceMap) and seq.members(ctx) == [a]


def test_cf_maps_get_sendmails_defaults_and_errors_in_cf_order() -> None:
    from monomail.config.cfparser import parse_cf
    from monomail.config.identity import Identity
    me = Identity("mail.example.com", "mail.example.com")
    config = parse_cf("t.cf", "V10\nMlocal, P=[monomail], A=x\nKk text -x /f\nKbad ldap\n",
                      identity=me)
    assert config.errors == ("t.cf: line 3: Illegal option x map k",
                             "t.cf: line 4: readcf: map bad: map class ldap not supported by monomail")
    assert sorted(config.maps) == ["aliases", "aliases.files", "host", "k"]
    assert config.maps["host"].options.app == "." and config.maps["host"].options.defer
    config = parse_cf("t.cf", "V1\nMlocal, P=x, A=x\nKhost host -a!\n", identity=me)
    assert config.maps["host"].options.app == "!"
    config = parse_cf("t.cf", "V1\nMlocal, P=x, A=x\n", identity=me)
    assert config.maps["host"].options.app is None