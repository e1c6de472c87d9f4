"""The tokenizer: token boundaries and sendmail's error recovery."""

from monomail.rewrite.prescan import TokenTables, prescan

TABLES = TokenTables.build(".:%@!^/[]+")


def scan(text: str, delim: str = "\0", table=None):
    errors: list[str] = []
    tokens, end = prescan(text, delim, table or TABLES.external,
                          usrerr=lambda m, a: errors.append(m))
    return tokens, end, errors


def test_operators_split_atoms() -> None:
    assert scan("user@example.com")[0] == ["user", "@", "example", ".", "com"]


def test_quoted_string_is_one_token() -> None:
    assert scan('"a b"@c')[0] == ['"a b"', "@", "c"]


def test_comments_are_dropped_in_external_table() -> None:
    assert scan("a (comment) @ b")[0] == ["a", "@", "b"]


def test_unbalanced_angle_is_closed_and_reported() -> None:
    tokens, _, errors = scan("a<b")
    assert tokens == ["a", "<", "b", ">"]
    assert errors == ["553 Unbalanced '<'"]


def test_unbalanced_quote_is_closed_and_reported() -> None:
    tokens, _, errors = scan('"abc')
    assert tokens == ['"abc"']
    assert errors == ["553 Unbalanced '\"'"]


def test_stray_close_angle_is_dropped() -> None:
    tokens, _, errors = scan("a>b")
    assert tokens == ["ab"]
    assert errors == ["553 Unbalanced '>'"]


def test_backslash_bang_kludge() -> None:
    assert scan("\\!x")[0] == ["!", "x"]
    assert scan("a\\bc")[0] == ["a\\bc"]


def test_comma_delimiter_stops_scan() -> None:
    tokens, end, _ = scan("a, b", ",")
    assert tokens == ["a"] and end == 1


def test_nocomment_table_keeps_parens() -> None:
    assert scan("a(b", table=TABLES.nocomment)[0] == ["a", "(", "b"]


def test_empty_input_gives_none() -> None:
    assert scan("   ")[0] is None


from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.rewrite.prescan import _Scanner


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='ab.@:%!<>[]() "\\\t,;x+-$', max_size=30),
       st.sampled_from(["external", "internal", "nocomment"]))
def test_fast_path_agrees_with_the_state_machine(text: str, kind: str) -> None:
    table = getattr(TABLES, kind)
    errors: list[str] = []
    fast, end = prescan(text, "\0", table, usrerr=lambda m, a: errors.append(m))
    slow_errors: list[str] = []
    scanner = _Scanner(text, "\0", table, False, lambda m, a: slow_errors.append(m), 1256)
    assert (fast, end, errors) == (scanner.run(), scanner.end, slow_errors)
