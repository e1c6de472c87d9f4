"""A queue on a real small filesystem (a 2 MiB tmpfs in a private mount namespace):
MinFreeBlocks refuses before anything is written, and when the disk fills anyway (no
MinFreeBlocks) the failing batch is refused, nothing acknowledged is lost and recovery
finds the queue clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, os, shutil, sys
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import NoSpaceError, QueueStore

base = sys.argv[1]
env = Envelope("joe@example.com", (Recipient("ann@example.org"),))
out = {}

def fill(store, refusal):
    acked = {}
    for i in range(1000):
        data = b"%d " % i + bytes([i % 251]) * 100_000
        try:
            acked[store.submit(env, data)] = i
        except refusal as exc:
            return acked, exc
    raise AssertionError("the disk never filled")

# MinFreeBlocks: refused while room is left, so nothing half written ever
guarded = QueueStore(base + "/guarded", min_free_blocks=128)
guarded.recover()
acked, exc = fill(guarded, NoSpaceError)
before = sorted(os.listdir(base + "/guarded"))
sizes = {n: os.path.getsize(base + "/guarded/" + n) for n in before}
try:
    guarded.submit(env, b"x" * 100_000)
except NoSpaceError:
    pass
out["guarded"] = {"acked": len(acked),
                  "unchanged": sizes == {n: os.path.getsize(base + "/guarded/" + n) for n in before}}
guarded.close()
again = QueueStore(base + "/guarded", min_free_blocks=0)
report = again.recover()
out["guarded"]["intact"] = sorted(report.messages) == sorted(acked) and all(
    again.read_data(q).startswith(b"%d " % n) for q, n in acked.items())
again.close()
shutil.rmtree(base + "/guarded")

# no MinFreeBlocks: the write itself fails with ENOSPC
bare = QueueStore(base + "/bare", min_free_blocks=0)
bare.recover()
acked, exc = fill(bare, OSError)
out["bare"] = {"acked": len(acked), "errno": exc.errno}
bare.close()
again = QueueStore(base + "/bare", min_free_blocks=0)
report = again.recover()
out["bare"]["quarantined"] = report.quarantined
out["bare"]["intact"] = sorted(report.messages) == sorted(acked) and all(
    again.read_data(q) == b"%d " % n + bytes([n % 251]) * 100_000 for q, n in acked.items())
print(json.dumps(out))
"""


def test_small_filesystem(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    shell = 'mount -t tmpfs -o size=2m tmpfs "$1" && shift && exec "$@"'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", shell, "sh", str(mount),
                           sys.executable, "-c", SCRIPT, str(mount)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["guarded"] == {"acked": out["guarded"]["acked"], "unchanged": True, "intact": True}
    assert 5 < out["guarded"]["acked"] < 20
    assert out["bare"]["errno"] == 28 and out["bare"]["quarantined"] == []
    assert out["bare"]["intact"] and out["bare"]["acked"] > out["guarded"]["acked"]
