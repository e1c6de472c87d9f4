"""The command line: getopt-style flags, sticky -O/-o, clear refusals."""

from monomail.cli.argv import parse_argv
from monomail.cli.main import main


def test_clustered_and_separate_arguments() -> None:
    inv = parse_argv(["-bt", "-C", "x.cf", "-OBlankSub=.", "-oo.:@", "-v"])
    assert (inv.mode, inv.cf, inv.verbose) == ("t", "x.cf", True)
    assert inv.options == [" BlankSub=.", "o.:@", "vT"]


def test_getopt_complaints_go_to_stderr_with_usage_status(capsys) -> None:
    assert main(["-bt", "-p"], prog="/usr/sbin/sendmail") == 64
    assert capsys.readouterr().err == "/usr/sbin/sendmail: option requires an argument -- p\n"
    assert main(["-z"], prog="sendmail") == 64
    assert capsys.readouterr().err == "sendmail: illegal option -- z\n"


def test_unimplemented_mode_is_refused_with_usage_status(capsys, tmp_path) -> None:
    cf = tmp_path / "t.cf"
    cf.write_text("V10/Berkeley\nDjmail.example.com\nMlocal, P=/bin/true, A=mail $u\n")
    assert main(["-C", str(cf), "-bh"]) == 64
    assert "-bh is not implemented yet" in capsys.readouterr().err


def test_missing_cf_is_reported_like_sendmail(capsys, tmp_path) -> None:
    assert main(["-bt", "-C", str(tmp_path / "none.cf")]) == 72
    assert capsys.readouterr().out == f"{tmp_path / 'none.cf'}: line 0: cannot open: No such file or directory\n"
    assert main(["-bt", "-C", str(tmp_path)]) == 72
    assert capsys.readouterr().out == f"{tmp_path}: line 0: not a plain file\n"


def test_command_line_option_wins_over_the_cf(tmp_path) -> None:
    from monomail.config.cfparser import parse_cf
    from monomail.config.identity import Identity
    cf = "V10\nO BlankSub=_\nMlocal, P=x, A=x\n"
    config = parse_cf("t.cf", cf, identity=Identity("a.b", "a.b"), command_line=(" BlankSub=.",))
    assert config.options["BlankSub"] == "."


def test_bi_and_newaliases_rebuild_the_cf_alias_files(tmp_path, capsys) -> None:
    aliases = tmp_path / "aliases"
    aliases.write_text("postmaster: root\nMAILER-DAEMON: postmaster\nlist: a,\n  b\n")
    cf = tmp_path / "t.cf"
    cf.write_text(f"V10/Berkeley\nDjmail.example.com\nO AliasFile={aliases}\n"
                  "Mlocal, P=/bin/true, F=lsA, A=mail $u\nS0\nR$+\t$#local $: $1\n")
    assert main(["-C", str(cf), "-bi"]) == 0
    assert capsys.readouterr().out == f"{aliases}: 3 aliases, longest 10 bytes, 46 bytes total\n"
    assert (tmp_path / "aliases.db").exists()
    aliases.write_text("nocolon here\n")
    assert main(["-C", str(cf)], prog="/usr/sbin/newaliases") == 70
    assert "line 1: missing colon" in capsys.readouterr().out
