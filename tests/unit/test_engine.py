"""Rules compiled from cf text and run: each operator, loops and errors."""

from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.prescan import prescan

ME = Identity("mail.example.com", "mail.example.com")
HEAD = "V10/Berkeley\nO OperatorChars=.:%@!^/[]+\nCwlocalhost\nCXfoo bar\n"


def run(rules: str, address: str, ruleset: int = 1) -> tuple[str, int, list[str]]:
    config = parse_cf("test.cf", HEAD + rules, identity=ME)
    out: list[str] = []
    env = RewriteEnv(config, out.append)
    tokens, _ = prescan(address, "\0", env.tables.external)
    status = Rewriter(config).rewrite(tokens, ruleset, env)
    return " ".join(tokens), status, out


def test_zero_or_more_and_backreference() -> None:
    assert run("S1\nR$* @ $*\t$2 ! $1\n", "a@b")[0] == "b ! a"


def test_class_match_over_phrase() -> None:
    assert run("S1\nR$* @ $=w\t$1 < local >\n", "joe@localhost")[0] == "joe < local >"


def test_negated_class() -> None:
    assert run("S1\nR$~X\tno\n", "foo")[0] == "foo"
    assert run("S1\nR$~X\tno\n", "baz")[0] == "no"


def test_one_token_and_macro_in_rhs() -> None:
    assert run("S1\nR$-\t$1 @ $j\n", "joe")[0] == "joe @ mail . example . com"


def test_canonuser_applies_once() -> None:
    assert run("S1\nR$*\t$: x $1\n", "a")[0] == "x a"


def test_canonhost_returns_at_once() -> None:
    assert run("S1\nR$*\t$@ done\nR$*\tnever\n", "a")[0] == "done"


def test_subroutine_call() -> None:
    assert run("S1\nR$*\t$: $>2 $1\nS2\nR$*\t$@ <$1>\n", "a")[0] == "< a >"


def test_infinite_loop_is_stopped() -> None:
    text, status, out = run("S1\nR$*\t$1\n", "a")
    assert out[-1] == "Infinite loop in ruleset 1, rule 1"


def test_recursion_limit() -> None:
    _, status, out = run("S1\nR$*\t$: $>1 $1\n", "a")
    assert status == 78
    assert any("excessive recursion" in line for line in out)


def test_deferred_macro_on_lhs() -> None:
    config = parse_cf("t.cf", HEAD + "S1\nR$&x\tmatched\n", identity=ME)
    env = RewriteEnv(config, lambda s: None)
    env.define_macro("x", "a.b")
    tokens, _ = prescan("a.b", "\0", env.tables.external)
    Rewriter(config).rewrite(tokens, 1, env)
    assert tokens == ["matched"]


def test_named_ruleset_numbering() -> None:
    config = parse_cf("t.cf", HEAD + "Sfoo\nR$*\tx\nSbar=7\nR$*\ty\n", identity=ME)
    assert config.ruleset_numbers["foo"] == 199
    assert config.ruleset_numbers["bar"] == 7


def test_cf_errors_name_file_and_line() -> None:
    config = parse_cf("t.cf", HEAD + "S1\nR$*\t$2\nZbogus\n", identity=ME)
    assert "t.cf: line 6: replacement $2 out of bounds" in config.errors
    assert 't.cf: line 7: unknown configuration line "Zbogus"' in config.errors


def test_result_cache_follows_runtime_macros() -> None:
    config = parse_cf("t.cf", HEAD + "S1\nR$*\t$@ $&x $1\n", identity=ME)
    rw = Rewriter(config)
    env = RewriteEnv(config, lambda s: None)
    for value in ("a", "b", "a"):
        env.define_macro("x", value)
        tokens, _ = prescan("u", "\0", env.tables.external)
        rw.rewrite(tokens, 1, env)
        assert tokens == [value, "u"]


def test_result_cache_never_replays_a_map_with_side_effects() -> None:
    config = parse_cf("t.cf", HEAD + "Kstore macro\nS1\nR$*\t$@ $(store {seen} $@ $1 $) $1\n",
                      identity=ME)
    rw = Rewriter(config)
    env = RewriteEnv(config, lambda s: None)
    for _ in range(2):
        env.define_macro("seen", None)
        tokens, _ = prescan("u", "\0", env.tables.external)
        rw.rewrite(tokens, 1, env)
        assert env.macro("seen") == "u"
