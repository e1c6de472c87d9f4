"""monomail-cf: builds the cf, or writes nothing and exits non-zero with m4's message naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monomail.config import mc as command
from monomail.sysexits import EX_DATAERR, EX_OK, EX_USAGE

GOOD = "divert(0)dnl\nOSTYPE(`linux')dnl\nFEATURE(`use_cw_file')dnl\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.mc"
    path.write_text(text)
    return path


def test_builds_to_stdout_and_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mc = write(tmp_path, GOOD)
    assert command.main([str(mc)]) == EX_OK
    printed = capsys.readouterr().out
    assert "Scanonify=3" in printed and "Mlocal," in printed
    assert command.main([str(mc), "-o", str(tmp_path / "site.cf")]) == EX_OK
    assert (tmp_path / "site.cf").read_text() == printed


def test_defines_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main([str(write(tmp_path, GOOD)), "-D", "confLOG_LEVEL=14"]) == EX_OK
    assert "O LogLevel=14" in capsys.readouterr().out


@pytest.mark.parametrize("bad, line, words", [
    ("FEATUER(`use_cw_file')dnl\n", 3, "FEATUER"),
    ("FEATURE(`use_cw_fil')dnl\n", 3, "use_cw_fil"),
    ("MAILER(`uucpp')dnl\n", 3, "uucpp"),
    ("define(`SMART_HOST', `relay.example)dnl\n", 3, "end of file in string"),
    ("MASQUERADE_ASS(`example.com')dnl\n", 3, "MASQUERADE_ASS"),
])
def test_a_broken_mc_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, line: int, words: str) -> None:
    mc = write(tmp_path, "divert(0)dnl\nOSTYPE(`linux')dnl\n" + bad + "MAILER(`smtp')dnl\n")
    out = tmp_path / "site.cf"
    out.write_text("the previous cf\n")
    assert command.main([str(mc), "-o", str(out)]) == EX_DATAERR
    assert command.main([str(mc)]) == EX_DATAERR
    captured = capsys.readouterr()
    assert captured.out == "" and f"site.mc:{line}" in captured.err and words in captured.err
    assert out.read_text() == "the previous cf\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site.cf", "site.mc"]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main([str(tmp_path / "missing.mc")]) == EX_USAGE
    assert command.main([]) == EX_USAGE
    assert "missing.mc" in capsys.readouterr().err


def test_m4_is_found() -> None:
    assert Path(command.find_m4()).exists()
