"""sendmail 8.17 and monomail deliver the same message to the same servers: the `-v`
lines and what the server receives must agree.

Each program runs in its own network namespace (loopback only, host name
mail.example.com) where this file, run as a script, starts the loopback DNS server on
127.0.0.1:53 (resolv.conf points there) and a scripted sink on 127.0.0.2:25, then
either runs `sendmail -v -odi` or routes and delivers with monomail's router and SMTP
client, and prints what it saw as JSON.  Both read the same cf, built by sendmail's m4
from MC below.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from dnsserver import DNSServer  # noqa: E402
from sinks import Script, ScriptedSink  # noqa: E402

SENDER = "sender@example.com"
MESSAGE = b"Subject: hi\n\nbody\n.dot line\n"
ZONE: dict[str, list[str] | str] = {
    "good.example": ["MX 10 mx.good.example."],
    "mx.good.example": ["A 127.0.0.2"],
    "two.example": ["MX 10 mx.refused.example.", "MX 20 mx.good.example."],
    "mx.refused.example": ["A 127.0.0.9"],
    "nomx.example": ["A 127.0.0.2"],
}
MC = """OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mail.example.com')dnl
define(`confCW_FILE', `{dir}/local-host-names')dnl
define(`confSERVICE_SWITCH_FILE', `{dir}/service.switch')dnl
define(`QUEUE_DIR', `{dir}/queue')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
FEATURE(`nocanonify')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""
SCENARIOS = [
    ({"extensions": ["SIZE 1000"], "rcpt_replies": {"bad": "550 5.1.1 <> unknown",
                                                    "later": "451 4.3.0 try later"}},
     ["good@good.example", "bad@good.example", "later@good.example"]),
    ({"extensions": ["PIPELINING", "SIZE 1000"],
      "rcpt_replies": {"bad": "550 5.1.1 <> unknown", "later": "451 4.3.0 try later"}},
     ["good@good.example", "bad@good.example", "later@good.example"]),
    ({"extensions": ["PIPELINING"], "rcpt_replies": {"*": "550 5.1.1 nope"}},
     ["a@good.example", "b@good.example"]),
    ({"extensions": ["PIPELINING", "DSN"]}, [f"u{i:03}@good.example" for i in range(101)],
     {"sendmail": ["-N", "failure"], "notify": ["FAILURE"]}),
    ({"extensions": ["SIZE 1000", "ENHANCEDSTATUSCODES", "DSN"]},
     ["a@two.example", "b@nomx.example"]),
    ({"esmtp": False}, ["a@good.example"]),
    ({"greeting": "421 4.3.2 busy"}, ["a@good.example"]),
    ({"extensions": [], "rcpt_replies": {"*": "550 5.1.1 nope"}},
     ["a@good.example", "b@good.example"]),
    ({"extensions": ["DSN", "ENHANCEDSTATUSCODES"], "mail_reply": "550 5.7.1 no senders"},
     ["a@good.example"]),
    ({"drop_at": "RCPT", "extensions": ["SIZE 1000"]}, ["a@good.example"]),
    ({"greeting": "554 5.3.2 go away"}, ["a@good.example"]),
    ({"extensions": ["SIZE 100000"]}, [f"u{i:03}@good.example" for i in range(101)]),
    ({"extensions": ["DSN"]}, ["a@good.example", "b@good.example"],
     {"sendmail": ["-N", "success,delay", "-V", "env-1", "-R", "hdrs"],
      "notify": ["SUCCESS", "DELAY"], "envid": "env-1", "ret": "HDRS"}),
]


# ---- inside the namespace ------------------------------------------------------------------


async def run_sendmail(sendmail: str, cf: str, rcpts: list[str], dsn: dict) -> list[str]:
    proc = await asyncio.create_subprocess_exec(
        sendmail, "-v", "-odi", "-oep", "-C", cf, "-f", SENDER, *dsn.get("sendmail", []), *rcpts,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate(MESSAGE)
    return out.decode().splitlines()


async def run_monomail(cf: str, rcpts: list[str], dsn: dict) -> list[str]:
    from monomail.config.cfparser import parse_cf
    from monomail.deliver.connections import ConnectionCache
    from monomail.deliver.mx import MxResolver
    from monomail.deliver.router import (Envelope, Recipient, plan, sendqueue_order,
                                         signature_hosts)
    from monomail.deliver.smtpclient import SmtpClient
    from monomail.deliver.smtpsettings import ClientSettings
    from monomail.rewrite.engine import Rewriter
    from monomail.rewrite.env import RewriteEnv
    from monomail.rewrite.parseaddr import parseaddr

    lines: list[str] = []
    config = parse_cf(cf)
    rw, env = Rewriter(config), RewriteEnv(config, lines.append)
    notify = frozenset(dsn["notify"]) if "notify" in dsn else None
    recipients = sendqueue_order(Recipient.from_address(a, parseaddr(rw, env, a, 0),
                                                        notify=notify) for a in rcpts)
    settings = ClientSettings.from_config(config)
    mx = MxResolver(env.hosts, settings.is_local, config.macros.get(ord("m")))
    signatures = {}
    for host in signature_hosts(config, recipients):
        mailer = config.mailer(next(r.mailer for r in recipients if r.host == host))
        assert mailer is not None
        signatures[host] = (await mx.route(mailer, host)).signature
    envelope = Envelope(SENDER, size=len(MESSAGE), envid=dsn.get("envid"), ret=dsn.get("ret"))
    routed = plan(rw, env, envelope, recipients, signatures)
    cache = ConnectionCache(int(config.options["ConnectionCacheSize"]),  # type: ignore[arg-type]
                            float(config.options["ConnectionCacheTimeout"]))  # type: ignore[arg-type]
    client = SmtpClient(settings, mx, cache)
    for batch in routed.batches:
        await client.deliver(batch, envelope, MESSAGE, lines.append)
    await client.close()
    return lines


async def drive(program: str, cf: str) -> list[dict]:
    seen: list[dict] = []
    with DNSServer(ZONE, port=53):
        for script, rcpts, *more in SCENARIOS:
            dsn = more[0] if more else {}
            async with ScriptedSink(Script(**script), host="127.0.0.2", port=25) as sink:
                if program == "monomail":
                    lines = await run_monomail(cf, rcpts, dsn)
                else:
                    lines = await run_sendmail(program, cf, rcpts, dsn)
            pipelined = "PIPELINING" in script.get("extensions", ["PIPELINING"])
            seen.append({"lines": comparable(lines, pipelined), "transactions": [
                [t.mail_from, t.mail_params, t.rcpts, t.accepted] for t in sink.transactions]})
    return seen


def comparable(lines: list[str], pipelined: bool) -> list[str]:
    """The lines both programs must print alike.  Left out: what sendmail says while it
    queues its bounce (the DSN's business, not the client's), and the "Closing
    connection" it prints at exit for a connection already closed after a refused
    greeting (it flushes its per-process cache, closed slots included).  With PIPELINING
    sendmail reads replies whenever some have arrived while it still writes RCPTs, so
    from the first RCPT to the data the commands are listed first, then the replies."""
    if pipelined:
        lines = _commands_first(lines)
    kept = []
    for i, line in enumerate(lines):
        if line.startswith(("MAILER-DAEMON... ", "postmaster... ")):
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("Closing connection to ") and following != ">>> QUIT":
            continue
        kept.append(line)
    return kept


def _commands_first(lines: list[str]) -> list[str]:
    out: list[str] = []
    block: list[str] = []
    for line in lines:
        if line.startswith(">>> RCPT") or block:
            if line in (">>> .", ">>> RSET", ">>> QUIT") or line.startswith("Closing"):
                out += [x for x in block if x.startswith(">>> ")]
                out += [x for x in block if not x.startswith(">>> ")]
                block = []
            else:
                block.append(line)
                continue
        out.append(line)
    return out + [x for x in block if x.startswith(">>> ")] + [
        x for x in block if not x.startswith(">>> ")]


# ---- the test ------------------------------------------------------------------------------


def run_in_namespace(program: str, cf: Path, folder: Path) -> list[dict]:
    import oracle
    script = (f"set -e; hostname {oracle.HOSTNAME}; ip link set lo up; "
              f"mount --bind {folder}/resolv.conf /etc/resolv.conf; exec \"$@\"")
    argv = ["unshare", "-u", "-n", "-m", "sh", "-c", script, "sandbox",
            sys.executable, str(Path(__file__)), program, str(cf)]
    env = {**os.environ, **oracle.sendmail_env(), "PYTHONPATH": str(HERE.parents[1])}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_sendmail_and_monomail_say_and_send_the_same(sendmail, bt_work_root: Path) -> None:
    import oracle
    folder = bt_work_root / "smtp-oracle"
    (folder / "queue").mkdir(parents=True)
    (folder / "queue").chmod(0o700)
    (folder / "local-host-names").write_text("")
    (folder / "service.switch").write_text("hosts dns files\n")
    (folder / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    (folder / "test.mc").write_text(MC.format(dir=folder))
    cf = oracle.build_sendmail_cf(folder / "test.mc", folder / "test.cf")
    theirs = run_in_namespace(sendmail.argv[0], cf, folder)
    ours = run_in_namespace("monomail", cf, folder)
    import difflib
    differences = []
    for (script, rcpts, *_), want, got in zip(SCENARIOS, theirs, ours):
        if got != want:
            diff = difflib.unified_diff(
                want["lines"] + [json.dumps(want["transactions"])],
                got["lines"] + [json.dumps(got["transactions"])], "sendmail", "monomail", lineterm="")
            differences.append(f"scenario {script} {rcpts}:\n" + "\n".join(diff))
    assert not differences, "\n\n".join(differences)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(drive(sys.argv[1], sys.argv[2]))))
