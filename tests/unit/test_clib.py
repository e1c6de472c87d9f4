"""The C-library and libsmutil behaviours sendmail's output depends on."""

from __future__ import annotations

from monomail.clib import atoi, shortenstring, strtol
from monomail.config.errors import where


def test_shortenstring_keeps_both_ends() -> None:
    assert shortenstring("abc", 83) == "abc"
    assert shortenstring("x" * 82, 83) == "x" * 82
    long = "a" * 40 + "MIDDLE" + "z" * 40
    assert shortenstring(long, 83) == "a" * 40 + "..." + "z" * 40
    assert shortenstring("0123456789", 8) == "01234..."
    assert shortenstring("0123456789", 4) == "0123"
    assert len(shortenstring("q" * 6000, 5000)) == 203  # capped at MAXSHORTSTR


def test_cf_locations_shorten_long_file_names() -> None:
    path = "/check/work/main/.cache/compat-work/aliases/" + "f" * 32 + "/aliases"
    assert where(path, 3) == ("/check/work/main/.cache/compat-work/alia..."
                              + "f" * 32 + "/aliases: line 3")
    assert where("/etc/mail/sendmail.cf", 12) == "/etc/mail/sendmail.cf: line 12"


def test_numbers_read_as_c_reads_them() -> None:
    assert strtol("  -0x1f", 0) == -31
    assert atoi("12abc") == 12
