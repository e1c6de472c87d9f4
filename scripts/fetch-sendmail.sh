#!/bin/sh
# Fetch Debian's sendmail 8.17 (the oracle for differential tests) into a private cache folder.
# Nothing fetched here is committed; it is unpacked with dpkg -x, never installed as the system MTA.
# Usage: scripts/fetch-sendmail.sh [CACHE_DIR]   (default: .cache/sendmail)
# Prints the cache folder on success. Tests find it through tests/oracle.py.
set -eu
CACHE=${1:-$(dirname "$0")/../.cache/sendmail}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
if [ -x "$CACHE/root/usr/libexec/sendmail/sendmail" ] && [ -d "$CACHE/root/usr/share/sendmail/cf/m4" ]; then
    echo "$CACHE"; exit 0
fi
cd "$CACHE"
if ! apt-get download sendmail-bin sendmail-cf libwrap0 liblockfile1 libmilter1.0.1 >download.log 2>&1; then
    apt-get update >>download.log 2>&1
    apt-get download sendmail-bin sendmail-cf libwrap0 liblockfile1 libmilter1.0.1 >>download.log 2>&1
fi
for f in *.deb; do dpkg -x "$f" root; done
# it unpacks setgid, and the loader ignores LD_LIBRARY_PATH for setgid programs
chmod g-s root/usr/libexec/sendmail/sendmail
echo "$CACHE"
