"""Rewrite throughput: parses per second through rulesets 3 and 0, no tracing.

Usage: python3 bench/rewrite.py CF [N]
CF is a sendmail.cf (e.g. sendmail's generic-linux.cf built by tests/oracle.py or
scripts/fetch-sendmail.sh + m4).  Prints parses/s and microseconds per parse on one core,
first for a mix of N addresses (200 users x 13 shapes, so shapes repeat as in real
traffic), then for N addresses that are all different (no result is ever reused).
Host names come from a hosts file (the switch says `hosts files`): this measures rule
work, not DNS round trips.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time

from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.prescan import prescan

SHAPES = [
    "{u}", "{u}@localhost", "{u}@mail.example.com", "{u}@[127.0.0.1]",
    "{n} <{u}@mail.example.com>", "{u}@{d}", "{h}!{u}", "{u}%{d}@mail.example.com",
    "<@mail.example.com:{u}@{d}>", '"{n}"@mail.example.com', "{u} ({n}) @ localhost",
    "<>", "{u}+tag@localhost",
]


def addresses(count: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    users = [f"user{i}" for i in range(200)]
    out = []
    for _ in range(count):
        shape = rnd.choice(SHAPES)
        out.append(shape.format(u=rnd.choice(users), n="Joe Bloggs", h="uuhost",
                                d="mail.example.com"))
    return out


def files_only_cf(cf: str, folder: str) -> str:
    """The cf's text with host lookups pointed at a local hosts file."""
    switch, hosts = os.path.join(folder, "service.switch"), os.path.join(folder, "hosts")
    with open(switch, "w") as f:
        f.write("hosts files\n")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n192.0.2.1 mail.example.com\n")
    with open(cf, encoding="latin-1") as f:
        text = f.read()
    return text + f"O ServiceSwitchFile={switch}\nO HostsFile={hosts}\n"


def run(config, inputs: list[str], label: str) -> None:  # type: ignore[no-untyped-def]
    rw = Rewriter(config)
    env = RewriteEnv(config, lambda s: None)
    start = time.process_time()
    for addr in inputs:
        tokens, _ = prescan(addr, "\0", env.tables.external)
        if tokens is None:
            continue
        rw.rewrite(tokens, 3, env)
        rw.rewrite(tokens, 0, env)
    spent = time.process_time() - start
    count = len(inputs)
    print(f"{label}: {count} parses in {spent:.2f} CPU s: {count / spent:,.0f} parses/s, "
          f"{spent / count * 1e6:.1f} us per parse")


def main() -> None:
    cf = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    with tempfile.TemporaryDirectory() as folder:
        config = parse_cf(cf, files_only_cf(cf, folder),
                          identity=Identity("mail.example.com", "mail.example.com"))
        run(config, addresses(count), "mixed")
        run(config, [f"person{i}@host{i}.example.com" for i in range(count)], "all distinct")


if __name__ == "__main__":
    main()
