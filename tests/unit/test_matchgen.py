"""Generated matchers must bind exactly as the reference matcher (sendmail's algorithm)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.rewrite.matcher import ANY, CLASS, DMACRO, LIT, NCLASS, ONE, ZANY, ZERO, match
from monomail.rewrite.matchgen import generate

WORDS = ["a", "b", "@", ".", "<", ">"]
CLASS_X = {"a", "b", "a.b", "a . b", "b@a"}
MACROS = {1: "a.b", 2: "", 3: None}

op = st.one_of(
    st.sampled_from([(LIT, w) for w in WORDS]),
    st.sampled_from([(ZANY, None), (ANY, None), (ONE, None), (ZERO, None)]),
    st.just((CLASS, 1)), st.just((NCLASS, 1)),
    st.sampled_from([(DMACRO, 1), (DMACRO, 2), (DMACRO, 3)]),
)


def in_class(mid: int, word: str, prefix: bool = False) -> bool:
    if prefix:
        return any(member.startswith(word) for member in CLASS_X)
    return word in CLASS_X


def join(tokens: list[str]) -> str:
    return "".join(tokens)


def macro(mid: int) -> str | None:
    return MACROS[mid]


@settings(max_examples=600, deadline=None)
@given(st.lists(op, max_size=6), st.lists(st.sampled_from(WORDS), max_size=7))
def test_generated_matches_reference(ops: list, tokens: list[str]) -> None:
    ops_t = tuple(ops)
    expected = match(ops_t, tokens, tokens, in_class, macro, join)
    generated = generate(ops_t)
    assert generated is not None
    members = {1: CLASS_X}
    prefixes = {1: {m[:i] for m in CLASS_X for i in range(1, len(m) + 1)}}
    got = generated(tokens, tokens, members, prefixes, macro, join)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert [tuple(b) for b in expected] == [tuple(b) for b in got]


def test_too_deep_rule_falls_back() -> None:
    ops = tuple([(ZANY, None), (LIT, "a")] * 30)
    generated = generate(ops)
    assert generated is None or generated(["a"] * 30, ["a"] * 30, {}, {}, macro,
                                          join) is not None
