"""sendmail's argument reading: getopt's two passes, obsolete() defaults, flag values."""

from __future__ import annotations

from monomail.cli.argv import getopt, obsolete, parse_argv


def test_obsolete_defaults_for_bare_flags() -> None:
    assert obsolete(["-C", "-q", "-Q", "-d", "x"]) == ["-Csendmail.cf", "-q0", "-Q.", "-d0-99.1", "x"]
    assert obsolete(["-f", "joe", "-q", "--", "-q"]) == ["-f", "joe", "-q0", "--", "-q"]


def test_getopt_stops_at_words_and_double_dash_without_permuting() -> None:
    assert getopt(["-t", "a", "-i"], "sm", True) == ([("t", None)], 1)
    assert getopt(["-vf", "joe", "--", "-i"], "sm", True) == ([("v", None), ("f", "joe")], 3)


def test_first_pass_quirks_of_sendmails_getopt() -> None:
    # an unknown flag takes a value; a missing value is the previous one (stale optarg)
    assert getopt(["-z", "-bv", "x"], "sm", False) == ([("z", "x")], 3)
    assert getopt(["-Cx.cf", "-b"], "sm", False) == ([("C", "x.cf"), ("b", "x.cf")], 3)
    assert getopt(["-Cx.cf", "-b"], "sm", True)[0][-1] == ("?", "sm: option requires an argument -- b")


def test_submission_flags() -> None:
    inv = parse_argv(["-oi", "-t", "-f", "joe\n bcc: x", "-F", "Joe", "-N", "success,DELAY",
                      "-R", "hdrs", "-V", "id+2B", "-B", "8bitmime", "-pESMTP:relay.example",
                      "-h", "7", "-n", "a@b", "c"])
    assert inv.mode == "m" and inv.args == ["a@b", "c"] and inv.read_recipients and inv.no_alias
    assert (inv.sender, inv.sender_flag, inv.full_name) == ("joe  bcc: x", "f", "Joe")
    assert (inv.notify, inv.ret, inv.envid, inv.body_type) == (("SUCCESS", "DELAY"), "HDRS",
                                                               "id+2B", "8BITMIME")
    assert (inv.protocol, inv.sending_host, inv.hop_count) == ("ESMTP", "relay.example", 7)
    assert inv.options == ["i"] and inv.exit_status == 0
    assert parse_argv(["-f", "", "x"]).sender == "<>"


def test_queue_run_flags() -> None:
    inv = parse_argv(["-q30m", "-qRfoo", "-q!Sbar", "-qIabc", "-qf", "-qGmain"])
    req = inv.queue
    assert inv.mode == "q" and req is not None
    assert (req.interval, req.recipients, req.senders, req.ids) == (
        1800, [("foo", False)], [("bar", True)], [("abc", False)])
    assert req.foreground and req.group == "main"
    assert parse_argv(["-bd", "-q15m"]).mode == "d"
    assert parse_argv(["-qp"]).queue.persistent


def test_names_and_labels() -> None:
    assert parse_argv([], "/usr/bin/mailq").mode == "p"
    assert parse_argv([], "newaliases").mode == "i"
    assert parse_argv(["-Lmy%tag\x01", "-bt"]).label == "my*tag*"
