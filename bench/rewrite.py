"""Rewrite throughput: parses per second through rulesets 3 and 0, no tracing.

Usage: python3 bench/rewrite.py CF [N]
CF is a sendmail.cf (e.g. sendmail's generic-linux.cf built by tests/oracle.py or
scripts/fetch-sendmail.sh + m4).  Prints parses/s and microseconds per parse on one core.
"""

from __future__ import annotations

import random
import sys
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


def main() -> None:
    cf = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    config = parse_cf(cf, identity=Identity("mail.example.com", "mail.example.com"))
    rw = Rewriter(config)
    env = RewriteEnv(config, lambda s: None)
    inputs = addresses(count)
    start = time.process_time()
    for addr in inputs:
        tokens, _ = prescan(addr, "\0", env.tables.external)
        if tokens is None:
            continue
        rw.rewrite(tokens, 3, env)
        rw.rewrite(tokens, 0, env)
    spent = time.process_time() - start
    print(f"{count} parses in {spent:.2f} CPU s: {count / spent:,.0f} parses/s, "
          f"{spent / count * 1e6:.1f} us per parse")


if __name__ == "__main__":
    main()
