"""regex maps and the POSIX-to-Python pattern translation, checked against glibc's regcomp."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest

from monomail.config.errors import ConfigError
from monomail.maps.posixre import PosixRegexError, compile_posix
from monomail.maps.regexmap import FieldError, balanced_copy, parse_fields
from monomail.maps.registry import MapConfigError
from monomail.sysexits import EX_CONFIG, EX_NOTFOUND, EX_OK
from test_maps import Ctx, make

# ---- glibc as the reference ------------------------------------------------------------

REG_EXTENDED, REG_ICASE = 1, 2


class RegMatch(ctypes.Structure):
    _fields_ = [("rm_so", ctypes.c_int), ("rm_eo", ctypes.c_int)]


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
        if lib is not None:
            lib.gnu_get_libc_version  # only glibc's regcomp is the reference
        return lib
    except (OSError, AttributeError):
        return None


LIBC = _libc()  # glibc's regcomp/regexec, the oracle for the translation (always on Debian)


def glibc(pattern: str, text: str, flags: int = REG_EXTENDED) -> object:
    """regcomp+regexec: "error text", None (no match) or the match spans."""
    assert LIBC is not None
    buf = ctypes.create_string_buffer(256)
    rc = LIBC.regcomp(buf, pattern.encode("latin-1"), flags)
    if rc:
        err = ctypes.create_string_buffer(200)
        LIBC.regerror(rc, buf, err, 200)
        return err.value.decode()
    nsub = ctypes.c_size_t.from_buffer(buf, 48).value
    spans = (RegMatch * 32)()
    found = LIBC.regexec(buf, text.encode("latin-1"), 32, spans, 0) == 0
    LIBC.regfree(buf)
    return [(spans[i].rm_so, spans[i].rm_eo) for i in range(nsub + 1)] if found else None


def ours(pattern: str, text: str, flags: int = REG_EXTENDED) -> object:
    try:
        compiled = compile_posix(pattern, extended=bool(flags & REG_EXTENDED),
                                 icase=bool(flags & REG_ICASE))
    except PosixRegexError as exc:
        return str(exc)
    m = compiled.regex.search(text)
    return None if m is None else [m.span(i) for i in range(compiled.nsub + 1)]


CASES = [
    ("^a(b+)(c)?", "abbc"), ("^a(b+)(c)?", "xab"), ("a)", "xa)"), ("\\d", "d"), ("\\d", "1"),
    ("\\w+", "ab c"), ("[\\n]", "\\"), ("a.c", "a\nc"), ("a$", "a\n"), ("(a|ab)(c|bcd)", "abcd"),
    ("(a*)*", "b"), ("x*", "abc"), ("(a)|b", "b"), ("\\<foo\\>", "a foo"), ("\\bfo", "a foo"),
    ("a{,2}b", "aaab"), ("a{2}", "aa"), ("a{1,}", "aaa"), ("x{2}{3}", "xxxxxx"), ("a**", "aa"),
    ("[[:alpha:]]+", "ab1"), ("[[:digit:][:upper:]]+", "x1A2b"), ("[]a]+", "]a]"),
    ("[^]a]", "]a"), ("[a-]+", "-a-"), ("[[.-.]]", "-"), ("[[=a=]]", "a"), ("[.]", "x."),
    ("(|a)b", "ab"), ("^*", ""), ("*a", "a"), ("a|*b", "b"), ("(a", "a"),
    ("a{", "a"), ("a{x}", "a"), ("a{3,2}", "a"), ("[a", "a"), ("a\\", "a"), ("[[:foo:]]", "a"),
    ("[z-a]", "a"), ("(a)\\2", "aa"), ("(a)\\1", "aa"), ("[[.ab.]]", "a"), ("{1}", "a"),
    ("\\`a", "a"), ("a\\'", "a"), ("^(.*)@(.*)$", "joe@example.com"), ("[^@]+@", "x@y"),
    ("\\.", "a.b"), ("a+?", "aa"), ("é", "é"), ("[\\]]", "]"), ("()", "x"), ("a^b", "a^b"),
]


@pytest.mark.parametrize("pattern,text", CASES)
def test_extended_syntax_matches_glibc(pattern: str, text: str) -> None:
    assert ours(pattern, text) == glibc(pattern, text)


@pytest.mark.parametrize("pattern,text", [
    ("ABC", "xabcx"), ("[a-c]+", "ABC"), ("é", "É"), ("[[:upper:]]", "a"),
])
def test_case_folding_is_ascii_only(pattern: str, text: str) -> None:
    assert ours(pattern, text, REG_EXTENDED | REG_ICASE) == glibc(
        pattern, text, REG_EXTENDED | REG_ICASE)


BASIC = [
    ("^a\\(b*\\)c", "abbbc"), ("a+b", "a+b"), ("a\\+b", "aab"), ("a|b", "a|b"), ("a\\|b", "b"),
    ("*a", "*a"), ("\\(*a\\)", "*a"), ("^*a", "*a"), ("a\\{2\\}", "aa"), ("a{2}", "a{2}"),
    ("(a)", "(a)"), ("a$b", "a$b"), ("\\(a$\\)", "a"), ("a\\?", ""), ("\\(a\\)\\1", "aa"),
    ("a\\)", "a"), ("\\{1\\}", "a"),
]


@pytest.mark.parametrize("pattern,text", BASIC)
def test_basic_syntax_matches_glibc(pattern: str, text: str) -> None:
    assert ours(pattern, text, 0) == glibc(pattern, text, 0)


def test_group_count_is_re_nsub() -> None:
    assert compile_posix("(a)(b(c))").nsub == 3
    assert compile_posix("\\(a\\)(b)", extended=False).nsub == 1


# ---- the map -------------------------------------------------------------------------


def test_plain_match_answers_empty_string_with_app() -> None:
    ctx = Ctx()
    assert make("r regex ^a(b+)(c)?").lookup_raw("abbc", ["abbc"], ctx) == ("", EX_OK)
    assert make("r regex ^a").lookup_raw("xa", ["xa"], ctx) == (None, EX_OK)
    assert make("r regex -a@ ^a").lookup("abc", ["abc"], ctx) == ("@", EX_OK)
    assert make("r regex ^a").lookup("b", ["b"], ctx) == (None, EX_NOTFOUND)


def test_n_f_m_and_basic() -> None:
    ctx = Ctx()
    assert make("r regex -n -a! ^a").lookup_raw("xyz", ["xyz"], ctx) == ("!", EX_OK)
    assert make("r regex -n -a! ^a").lookup_raw("abc", ["abc"], ctx) == (None, EX_OK)
    assert make("r regex ^a").lookup_raw("ABC", ["ABC"], ctx) == ("", EX_OK)
    assert make("r regex -f ^a").lookup_raw("ABC", ["ABC"], ctx) == (None, EX_OK)
    assert make("r regex -m -a? ^a").lookup_raw("abc", ["abc"], ctx) == ("abc?", EX_OK)
    assert make("r regex -b ^a\\(b*\\)c").lookup_raw("abbbc", ["abbbc"], ctx) == ("", EX_OK)


def test_substrings() -> None:
    ctx = Ctx()
    r2 = make("r regex -s1 ^a(b+)(c)?")
    assert r2.lookup_raw("abbc", ["abbc"], ctx) == ("bb", EX_OK)
    r3 = make("r regex -s2,1 -d+ ^a(b+)(c)?")
    assert r3.lookup_raw("abbc", ["abbc"], ctx) == ("c+bb", EX_OK)
    assert r3.lookup_raw("abb", ["abb"], ctx) == ("+bb", EX_OK)
    r4 = make("r regex -s ^a(b+)(c)?")
    assert r4.lookup_raw("abbc", ["abbc"], ctx) == ("abbc\x9bbb\x9bc", EX_OK)


def test_first_argument_overrides_the_fields() -> None:
    ctx = Ctx()
    r = make("r regex -s1 ^(a)(b)")
    assert r.lookup("ab", ["ab", "2,1"], ctx) == ("b\x9ba", EX_OK)
    assert r.lookup_raw("ab", ["ab", "7"], ctx) == (None, EX_CONFIG)
    # sendmail's field parser leaves the argument cut at its first comma, and %1 shows it
    assert make("p regex -s1 ^(.*)$").lookup_raw("%1", ["%1", "1,0"], ctx) == (
        "1\x9b1", EX_OK)


def test_posix_longest_alternative_is_not_emulated() -> None:
    """re takes the first alternative that matches where POSIX takes the longest."""
    assert ours("a||b", "b") == [(0, 0)]


def test_answers_prescan_cannot_take_are_refused() -> None:
    ctx = Ctx()
    r = make("r regex -s1 ^(.*)$")
    assert r.lookup_raw("a<b", ["a<b"], ctx) == (None, EX_OK)
    assert r.lookup_raw("a b", ["a b"], ctx) == (None, EX_OK)
    assert r.lookup_raw('"a b"', ['"a b"'], ctx) == ('"a b"', EX_OK)
    assert r.lookup_raw("<a>", ["<a>"], ctx) == ("<a>", EX_OK)


def test_balanced_copy_counts_only_matched_text_and_cuts_at_255() -> None:
    assert balanced_copy([(False, "a"), (True, "<"), (False, "b")]) == "a<b"
    assert balanced_copy([(False, "x" * 300)]) == "x" * 255


def test_parse_fields() -> None:
    assert parse_fields("2,0", 3) == [2, 0]
    with pytest.raises(FieldError, match=r"field \(3\) out of range, only 3 substrings"):
        parse_fields("3", 3)
    with pytest.raises(FieldError, match="too many fields, 32 max"):
        parse_fields(",".join(["0"] * 33), 3)


def test_bad_patterns_leave_an_unusable_map() -> None:
    with pytest.raises(MapConfigError) as info:
        make("r regex -a@ ^(a")
    assert info.value.messages == ("pattern-compile-error: Unmatched ( or \\(",)
    assert info.value.map is not None and not info.value.map.valid
    assert info.value.map.lookup("a", ["a"], Ctx()) == (None, EX_NOTFOUND)
    with pytest.raises(ConfigError, match=r"field \(2\) out of range, only 2 substrings"):
        make("r regex -s2 (a)b")
    with pytest.raises(ConfigError, match="too many substrings, 32 max"):
        make("r regex -s " + "(a)" * 31)
