"""Recipient processing throughput: RCPT-time checks and full expansions per second.

Usage: python3 bench/recipients.py CF [N]
CF is a sendmail.cf with an AliasFile (e.g. sendmail's generic-linux.cf built by
scripts/fetch-sendmail.sh + m4).  Its AliasFile is replaced by a temporary alias file
(compiled by monomail's newaliases) with a 20-member list; users come from a table in
memory and host names from a hosts file, so this measures recipient processing (rules,
alias map, duplicate checks), not the machine's passwd or DNS.  One RecipientList per
message, sharing the Config, as the daemon does.  Prints messages per CPU second and CPU
microseconds per message for:
  rcpt-local    RCPT-time check of one local user (verify_only: no .forward)
  rcpt-remote   RCPT-time check of one remote address
  expand-local  delivery-time expansion of one local user (alias miss, user, .forward)
  expand-list   delivery-time expansion of a 20-member alias
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from typing import Callable

from monomail.aliases.expand import RecipientList
from monomail.aliases.newaliases import main as newaliases
from monomail.aliases.policy import Identity, settings
from monomail.aliases.users import User
from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity as HostIdentity
from rewrite import files_only_cf   # bench/rewrite.py: hosts from a file, no DNS

MEMBERS = 20


class Users:
    """user0..user99 with homes that have no .forward."""

    def __init__(self, home: str) -> None:
        self.table = {f"user{i}": User(f"user{i}", 5000 + i, 5000 + i, f"User {i}", home,
                                       "/bin/sh") for i in range(100)}

    def by_name(self, name: str) -> User | None:
        return self.table.get(name)

    def by_uid(self, uid: int) -> User | None:
        return None

    def every_user(self) -> list[User]:
        return list(self.table.values())

    def shells(self) -> list[str]:
        return ["/bin/sh"]

    def group_members(self, gid: int) -> list[str] | None:
        return None

    def group_list(self, user: str, gid: int) -> list[int]:
        return [gid]


def rate(label: str, count: int, work: Callable[[int], None]) -> None:
    start = time.process_time()
    for n in range(count):
        work(n)
    elapsed = time.process_time() - start
    print(f"{label:13s} {count / elapsed:10,.0f} msgs/CPU-s "
          f"{elapsed / count * 1e6:8.1f} CPU-us/msg")


def main(argv: list[str]) -> int:
    cf, count = argv[0], int(argv[1]) if len(argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as folder:
        aliases = os.path.join(folder, "aliases")
        with open(aliases, "w") as f:
            f.write("postmaster: root\nMAILER-DAEMON: postmaster\n"
                "list: " + ", ".join(f"user{i}" for i in range(MEMBERS)) + "\n")
        newaliases([aliases], io.StringIO())
        text = files_only_cf(cf, folder)
        with open(os.path.join(folder, "service.switch"), "a") as f:
            f.write("aliases files\n")
        text = "\n".join(f"O AliasFile={aliases}" if line.startswith("O AliasFile=") else line
                         for line in text.split("\n"))
        config = parse_cf(cf, text=text,
                          identity=HostIdentity("mail.example.com", "mail.example.com"))
        ident = Identity(real_uid=0, euid=0, run_as_uid=0, def_uid=1, def_gid=1,
                         def_user="daemon")
        users = Users(folder)
        rcpt = settings(config, ident, verify_only=True)
        full = settings(config, ident)

        def check(address: str) -> Callable[[int], None]:
            def work(n: int) -> None:
                verdict = RecipientList(config, rcpt, users=users).add_rcpt(
                    address.format(n=n % 100))
                assert verdict.ok, verdict.reply
            return work

        def expansion(address: str, expect: int) -> Callable[[int], None]:
            def work(n: int) -> None:
                rcpts = RecipientList(config, full, users=users)
                rcpts.add(address.format(n=n % 100))
                assert len(rcpts.finish().deliverable) == expect
            return work

        rate("rcpt-local", count, check("<user{n}@localhost>"))
        rate("rcpt-remote", count, check("<user{n}@example.net>"))
        rate("expand-local", count, expansion("user{n}", 1))
        rate("expand-list", count // 10, expansion("list", MEMBERS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
