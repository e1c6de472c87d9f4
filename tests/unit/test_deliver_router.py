"""The router: recipients from parseaddr grouped into deliveries as sendmail's deliver() does."""

from __future__ import annotations

from pathlib import Path

import pytest

from monomail import sysexits as ex
from monomail.config.cfparser import parse_cf
from monomail.config.model import Config
from monomail.deliver.router import (MAXPV, TOBUFSIZE, Envelope, Plan, Recipient, host_signature,
                                     plan, signature_hosts, uses_dns)
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import parseaddr

CF = """V10/Berkeley
Djmail.example.com
Cwmail.example.com localhost
S0
R$+ @ $+ . local	$#local $: $1
R$+ @ [ $+ ]	$#esmtp $@ [ $2 ] $: $1 @ [ $2 ]
R$+ @ $+ . plain	$#plain $@ $2 . plain $: $1 @ $2 . plain
R$+ @ $+ . seven	$#seven $@ $2 . seven $: $1 @ $2 . seven
R$+ @ $+ . small	$#small $@ $2 . small $: $1 @ $2 . small
R$+ @ $+ . prog	$#progm $: $1
R$+ @ $+ . error	$#error $@ 5.1.3 $: "553 no such domain"
R$+ @ $+	$#esmtp $@ $2 $: $1 @ $2
R$+	$#local $: $1
S1
S2
S4
S11
R$+ @ $+	$@ $1 @ masq . example
Scheck_compat
R$* $| $* @ blocked . example	$#error $@ 5.7.1 $: "550 blocked destination"
R$* $| $* @ trash . example	$#discard $: discard
Mlocal, P=/bin/cat, F=lsm, A=cat $u
Mesmtp, P=[IPC], F=mDFMuXa, S=11, E=\\r\\n, L=990, r=3, A=TCP $h
Mplain, P=[IPC], F=DFMuX, E=\\r\\n, A=TCP $h
Mseven, P=[IPC], F=mDFMuX7, E=\\r\\n, A=TCP $h
Msmall, P=[IPC], F=mDFMuX, M=100, E=\\r\\n, A=TCP $h
Mprogm, P=/bin/echo, F=mlsB, A=echo -f $g $u
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = Path(tmp_path_factory.mktemp("router")) / "router.cf"
    path.write_text(CF)
    parsed = parse_cf(str(path))
    assert not parsed.errors, parsed.errors
    return parsed


def route(config: Config, addresses: list[str], sender: str = "joe@example.com",
          signatures: dict[str, str] | None = None, **envelope: object) -> Plan:
    rw = Rewriter(config)
    env = RewriteEnv(config, lambda _line: None)
    recipients = [Recipient.from_address(a, parseaddr(rw, env, a, 0)) for a in addresses]
    return plan(rw, env, Envelope(sender, **envelope), recipients,  # type: ignore[arg-type]
                signatures)


def shape(p: Plan) -> list[tuple[str, str | None, list[str]]]:
    return [(b.mailer.name, b.host, [r.paddr for r in b.recipients]) for b in p.batches]


def test_recipients_group_by_mailer_and_host_in_sendmails_order(config: Config) -> None:
    p = route(config, ["a@one.example", "root", "b@two.example", "c@one.example", "sys"])
    assert shape(p) == [
        ("esmtp", "one.example", ["c@one.example", "a@one.example"]),
        ("local", None, ["sys", "root"]),
        ("esmtp", "two.example", ["b@two.example"]),
    ]
    assert p.batches[0].users == ["c@one.example", "a@one.example"]
    assert p.report.outcomes == []


def test_r_equate_splits_a_destination_into_batches(config: Config) -> None:
    addresses = [f"u{i}@one.example" for i in range(7)]
    p = route(config, addresses)
    assert [len(b.recipients) for b in p.batches] == [3, 3, 1]
    assert [r.paddr for r in p.batches[0].recipients] == ["u2@one.example", "u1@one.example",
                                                          "u0@one.example"]
    assert len(p.destinations) == 1


def test_a_mailer_without_f_m_gets_one_recipient_per_delivery(config: Config) -> None:
    p = route(config, ["a@x.plain", "b@x.plain"])
    assert shape(p) == [("plain", "x.plain", ["a@x.plain"]), ("plain", "x.plain", ["b@x.plain"])]


def test_hosts_with_the_same_mx_list_share_a_transaction(config: Config) -> None:
    same = "mx1.example.:mx2.example."
    p = route(config, ["a@one.example", "b@two.example", "c@three.example"],
              signatures={"one.example": same, "two.example": same, "three.example": "other."})
    assert shape(p) == [("esmtp", "one.example", ["b@two.example", "a@one.example"]),
                        ("esmtp", "three.example", ["c@three.example"])]
    assert p.batches[0].signature == same


def test_the_sender_is_rewritten_for_each_mailer(config: Config) -> None:
    p = route(config, ["a@one.example", "root"])
    senders = {b.mailer.name: b.sender for b in p.batches}
    assert senders == {"esmtp": "joe@masq.example", "local": "joe@example.com"}


def test_check_compat_errors_and_discards(config: Config) -> None:
    p = route(config, ["a@blocked.example", "b@trash.example", "c@one.example"])
    assert shape(p) == [("esmtp", "one.example", ["c@one.example"])]
    blocked, trashed = p.report.outcomes
    assert [r.paddr for r in blocked.recipients] == ["a@blocked.example"]
    assert (blocked.result.state, blocked.result.status, blocked.result.message) == (
        "failed", "5.7.1", "550 5.7.1 blocked destination")
    assert trashed.result.state == "discarded"


def test_error_addresses_from_ruleset_0_fail_without_delivery(config: Config) -> None:
    p = route(config, ["a@nowhere.error"])
    assert p.batches == []
    result = p.report.outcomes[0].result
    assert (result.state, result.rcode, result.status) == ("failed", ex.EX_USAGE, "5.1.3")


def test_messages_over_a_mailers_size_limit(config: Config) -> None:
    p = route(config, ["a@x.small"], size=101)
    result = p.report.outcomes[0].result
    assert (result.state, result.status, result.message) == (
        "failed", "5.3.4", "552 5.3.4 Message is too large; 100 bytes max")
    assert route(config, ["a@x.small"], size=100).report.outcomes == []


def test_8bit_for_a_7bit_mailer_needs_mime(config: Config) -> None:
    refused = route(config, ["a@x.seven", "b@x.seven"], has_8bit=True)
    assert refused.batches == []
    result = refused.report.outcomes[0].result
    assert (result.status, result.message) == (
        "5.6.3", "554 5.6.3 Cannot send 8-bit data to 7-bit destination")
    assert len(refused.report.outcomes[0].recipients) == 2
    assert len(route(config, ["a@x.seven"], has_8bit=True, is_mime=True).batches) == 1


def test_program_mailers_respect_sendmails_argument_limits(config: Config) -> None:
    long = [f"{'x' * 90}{i}@p.prog" for i in range(100)]
    p = route(config, long)
    sizes = [sum(len(r.paddr) + 1 for r in b.recipients) + 2 for b in p.batches]
    assert len(p.batches) > 1 and max(sizes) <= TOBUFSIZE
    many = [f"u{i}@p.prog" for i in range(400)]
    counts = [len(b.recipients) for b in route(config, many).batches]
    assert max(counts) <= MAXPV and sum(counts) == 400
    assert route(config, ["\\\\joe@p.prog"]).batches[0].users == ["joe"]


def test_host_signatures(config: Config) -> None:
    esmtp, local = config.mailer("esmtp"), config.mailer("local")
    assert esmtp is not None and local is not None
    assert host_signature(local, None) == "localhost"
    assert host_signature(esmtp, "Example.ORG") == "example.org"
    assert host_signature(esmtp, "example.org", {"example.org": "mx.example."}) == "mx.example."
    assert uses_dns(esmtp) and not uses_dns(local)
    recipients = [Recipient("a@b", "esmtp", "b.example", "a@b"), Recipient("c", "local", None, "c")]
    assert signature_hosts(config, recipients) == {"b.example"}
