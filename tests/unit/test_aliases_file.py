"""monomail.aliases.aliasfile: aliases(5) parsing with sendmail's messages and counts."""

from __future__ import annotations

from pathlib import Path

from monomail.aliases.aliasfile import (BUFSIZ, fold_key, load_aliases, logical_lines,
                                        missing_required, parse_name, read_aliases,
                                        required_warning)


def texts(data: str) -> list[tuple[int, str]]:
    return [(line.lineno, line.text) for line in logical_lines(data)]


def messages(data: str) -> list[str]:
    return [d.text for d in read_aliases("f", data).diagnostics]


def test_continuations_are_numbered_by_last_line() -> None:
    assert texts("a: b,\n\tc\nd: e\\\nf\n") == [(2, "a: b,\tc"), (4, "d: ef")]


def test_comment_and_empty_line_swallow_indented_line() -> None:
    assert texts("#c\n  y\nk: v\n") == [(2, "#c  y"), (3, "k: v")]
    assert messages("a: b\n\n x\n") == ["f: line 3: Non-continuation line starts with space"]


def test_backslash_at_end_of_file_without_newline_is_kept() -> None:
    assert read_aliases("f", "a: b\\").entries == {"a": "b\\"}
    assert read_aliases("f", "a: b\\\n").entries == {"a": "b"}


def test_name_parsing() -> None:
    assert parse_name("Foo Bar: x").name == "Foo Bar"
    assert parse_name("(comment) z: y").name == "z"
    assert parse_name('"Quoted Name": x').name == '"Quoted Name"'
    assert parse_name("PostMaster: x").name == "postmaster"
    assert parse_name(": x").name == ""
    unbalanced = parse_name('"unbal: x')
    assert unbalanced == type(unbalanced)('"unbal: x"', "Unbalanced '\"'")


def test_values_are_kept_as_text() -> None:
    data = ('list: :include:/etc/list\nprog: "|/bin/cat"\nerr: error:5.1.1 nope\n'
            "file: /var/log/x  \nmany: a, b,\n  c\n")
    assert read_aliases("f", data).entries == {
        "list": ":include:/etc/list", "prog": '"|/bin/cat"', "err": "error:5.1.1 nope",
        "file": "/var/log/x  ", "many": "a, b,  c"}


def test_error_wording_and_status() -> None:
    data = ": x\nnocolon here\nb:\nc:   \nok: 1\n"
    result = read_aliases("/etc/aliases", data)
    assert [d.text for d in result.diagnostics] == [
        "/etc/aliases: line 1: : x... illegal alias name",
        "/etc/aliases: line 2: missing colon",
        "/etc/aliases: line 3: b:... missing value for alias",
        "/etc/aliases: line 4: c:   ... missing value for alias"]
    assert result.failed
    assert result.entries == {"ok": "1"}


def test_long_name_is_cut_to_40_in_messages() -> None:
    name = "x" * 60
    assert messages(f"{name}:\n") == [f"f: line 1: {'x' * 40}... missing value for alias"]


def test_line_too_long() -> None:
    result = read_aliases("f", "a: " + "b" * BUFSIZ + "\nc: d\n")
    assert [d.text for d in result.diagnostics] == ["f: line 1: alias line too long"]
    assert result.entries == {"c": "d"}


def test_duplicate_warns_and_last_wins() -> None:
    result = read_aliases("f", "A: 1\na: 2\n")
    assert [d.text for d in result.diagnostics] == [
        "f: line 2: a... Warning: duplicate alias name a"]
    assert not result.failed
    assert result.entries == {"a": "2"}
    assert result.count == 2


def test_duplicate_with_append_flag_joins_values() -> None:
    result = read_aliases("f", "a: 1\na: 2\n", append=True)
    assert result.entries == {"a": "2,1"}
    assert result.diagnostics == []


def test_unbalanced_quote_is_only_a_warning() -> None:
    result = read_aliases("f", '"u: 1\n')
    assert [d.text for d in result.diagnostics] == ["f: line 1: \"u: 1... Unbalanced '\"'"]
    assert not result.failed
    assert result.entries == {'"u: 1"': "1"}
    assert result.summary() == "f: 1 aliases, longest 1 bytes, 7 bytes total"


def test_statistics() -> None:
    result = read_aliases("/etc/mail/aliases",
                          "postmaster: root\nMAILER-DAEMON: postmaster\n")
    assert result.summary() == "/etc/mail/aliases: 2 aliases, longest 10 bytes, 37 bytes total"


def test_required_names() -> None:
    assert missing_required(["postmaster", "MAILER-DAEMON"]) == []
    assert missing_required(["root"]) == ["postmaster", "mailer-daemon"]
    assert required_warning("f", ["mailer-daemon"]) == \
        "f: Warning: no alias for required name(s): MAILER-DAEMON"


def test_fold_key_is_ascii_only() -> None:
    assert fold_key("FoO\xc9") == "foo\xc9"


def test_load_aliases_reads_octets(tmp_path: Path) -> None:
    path = tmp_path / "aliases"
    path.write_bytes(b"caf\xe9: r\xe9sum\xe9\n")
    assert load_aliases(str(path)).entries == {"caf\xe9": "r\xe9sum\xe9"}
