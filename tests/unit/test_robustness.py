"""Garbage in a cf or on -bt input gets sendmail's messages, never a Python traceback."""

import io
import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.rewrite.testmode import AddressTestSession

ME = Identity("mail.example.com", "mail.example.com")
SWITCH = os.path.join(tempfile.mkdtemp(), "service.switch")  # no DNS from tests
with open(SWITCH, "w") as f:
    f.write("hosts files\n")
BASE = (f"V10/Berkeley\nO ServiceSwitchFile={SWITCH}\nO OperatorChars=.:%@!^/[]+\n"
        "Mlocal, P=[monomail], F=lsDFM, A=mbox $u\n"
        "S0\nR$* < @ $+ >\t$#esmtp $@ $2 $: $1\nR$+\t$#local $: $1\nS3\nR$* @ $*\t$1 < @ $2 >\n")
CF_CHARS = 'RSDCFKMOHPVTEQX$*+-=~#@:>?|.[](){}&<>\t "\\abcwj0123456789,;!%/\n'
INPUT_CHARS = '<>@.:;,"()\\!%[]$#&=~+-*|/? \tabcxyz019\x01\x7f\xe9'
COMMANDS = ["3,0 ", "0 ", "/parse ", "/try local ", ".D", ".C", "$", "$=", "=S", "/map ",
            "/header ", "/tryflags ", "/canon ", "/expand ", "=M", "-d", "?", ""]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=CF_CHARS, max_size=40), max_size=8))
def test_any_cf_lines_load_without_exceptions(lines: list[str]) -> None:
    config = parse_cf("f.cf", BASE + "\n".join(lines) + "\n", identity=ME)
    session = AddressTestSession(config, lambda text: None)
    session.run(io.StringIO("3,0 joe@example.com\n/parse <a@b>\n=M\n=S0\n"))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(COMMANDS), st.text(alphabet=INPUT_CHARS, max_size=40))
def test_any_test_mode_input_is_answered(command: str, text: str) -> None:
    config = parse_cf("f.cf", BASE, identity=ME)
    out: list[str] = []
    AddressTestSession(config, out.append).command(command + text)
