"""sendmail's HelpFile: "topic<TAB>text" lines, read for SMTP HELP and for -bt's "?".

A "#vers N" comment says the format; from version 2 on the texts may use "$"
macros, expanded when shown.  Both callers word the answer their own way (SMTP
with 214 codes, -bt without), so this module only finds the entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

HELP_VERSION_TAG = "#vers"
HELP_VERSION = 2     # sendmail's HELPVERSION: older files get a version line and a warning


@dataclass(frozen=True)
class HelpEntries:
    """The texts for one topic, macros expanded, and the file's format version."""

    texts: tuple[str, ...]
    version: int          # -1 when the file has no "#vers" line


def find_help(path: str | None, topic: str,
              expand: Callable[[str], str]) -> HelpEntries | None:
    """The entries whose line starts with `topic` (sendmail compares the first
    len(topic) characters); None if the file cannot be read."""
    if not path:
        return None
    try:
        with open(path, encoding="latin-1") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    version = -1
    texts: list[str] = []
    for line in lines:
        if line.startswith("#"):
            if version < 0 and line.startswith(HELP_VERSION_TAG):
                digits = line[len(HELP_VERSION_TAG):].strip()
                version = int(digits) if digits.isdigit() else version
            continue
        if not line.startswith(topic):
            continue
        cut = min((i for i in (line.find(" "), line.find("\t")) if i >= 0), default=-1)
        text = line[cut + 1:] if cut >= 0 else line[-1:]
        texts.append(expand(text) if version >= 2 else text)
    return HelpEntries(tuple(texts), version)
