"""What the cleanup stage tells the submitter, worded as sendmail words it."""

from __future__ import annotations

from dataclasses import dataclass

from monomail.dsn.status import is_enhanced, split_reply


@dataclass(frozen=True)
class Problem:
    """One message: `reply` is the SMTP form (`552 5.6.0 Headers too large (32768 max)`);
    `text` is what the command line prints (sendmail drops the codes there).

    `rejects` is true for sendmail's user errors during collection: the message is
    not accepted (SMTP answers with `reply`; the command line prints `text`, and like
    sendmail still exits with the status it had).  Other problems are reported and
    the message is taken (e.g. a header line with a bad name, which is dropped and
    makes sendmail exit 70)."""

    reply: str
    rejects: bool = True

    @property
    def code(self) -> str:
        return self.reply[:3]

    @property
    def status(self) -> str | None:
        """The enhanced status code (`5.6.0`), if the reply has one."""
        word = self.reply[4:].split(" ", 1)[0]
        return word if is_enhanced(word) else None

    @property
    def text(self) -> str:
        return split_reply(self.reply)[1]
