"""An envelope's header list as sendmail's chompheader builds it: cf defaults first,
then fields from the user, with the header check rulesets run on the way in."""

from __future__ import annotations

from dataclasses import dataclass

from monomail.config.headerinfo import (H_CHECK, H_DEFAULT, H_EOH, H_FORCE, H_FROM, H_RCPT,
                                        H_STRIPCOMM, H_USER, MAX_FIELD_NAME, SPACES,
                                        header_flags, split_header)
from monomail.config.model import Config
from .engine import Rewriter
from .env import RewriteEnv
from .rscheck import RSF_COUNT, RSF_RMCOMM, RSF_UNSTRUCTURED, rscheck
from .tokens import MAXNAME


@dataclass
class HeaderField:
    name: str
    value: str | None
    flags: int


class HeaderList:
    """Header fields of one envelope, starting from the cf's H lines."""

    def __init__(self, config: Config, env: RewriteEnv, rw: Rewriter) -> None:
        self.config, self.env, self.rw = config, env, rw
        self.fields = [HeaderField(h.name, h.value, self.flags_for(h.name) | H_DEFAULT |
                                   (H_CHECK if h.flags or h.macro_condition else 0))
                       for h in config.headers]

    def flags_for(self, name: str) -> int:
        """The table's flags, plus comment stripping for fields with a header check."""
        check = self.config.header_checks.get(name.lower())
        return header_flags(name) | (H_STRIPCOMM if check and check[1] else 0)

    def chomp(self, line: str) -> int:
        """Add a user-supplied field; returns its flags as sendmail's chompheader does
        (0 for a syntax error or an empty field that leaves a cf default in place)."""
        parts = split_header(line)
        if parts is None:
            self.env.syserr(f'553 5.3.0 header syntax error, line "{line}"')
            return 0
        name, value = parts
        if len(name) > MAX_FIELD_NAME:
            return H_EOH
        flags = self.flags_for(name)
        if flags & H_EOH:
            return flags
        self.check(name, value, flags)
        for field in self.fields:
            if field.name.lower() == name.lower() and not field.flags & (H_USER | H_FORCE):
                if not value.strip(SPACES):
                    return 0
                field.value = None
        self.fields.append(HeaderField(name, value, flags | H_USER))
        return flags | H_USER

    def check(self, name: str, value: str, flags: int) -> None:
        """Run the field's header check ruleset (or the `*` one) as sendmail does:
        macros for the field first, then rscheck on the raw value."""
        found = self.config.header_checks.get(name.lower())
        strip = bool(found and found[1])
        if found is None:
            found = self.config.header_checks.get("*")
            strip = bool(found and found[1])
        if found is None:
            return
        env = self.env
        quoted = '"' + "".join(" " if c in "\t\n\x0b\x0c\r" else "\\" + c if c == '"' else c
                               for c in value)[:MAXNAME - 3] + '"'
        env.define_macro("currHeader", quoted)
        env.define_macro("hdr_name", name)
        env.define_macro("hdrlen", str(len(value)))
        kind = "h s" if flags & H_FROM else "h r" if flags & H_RCPT else "h"
        env.define_macro("addr_type", kind)
        check_flags = RSF_COUNT | (0 if flags & (H_FROM | H_RCPT) else RSF_UNSTRUCTURED)
        rscheck(self.rw, env, found[0], value,
                flags=check_flags | (RSF_RMCOMM if strip else 0))
