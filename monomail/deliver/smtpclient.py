"""Delivering one batch over SMTP or LMTP: sendmail's deliver() for "clever" mailers.

The batch's host becomes a host signature (mx.py); its hosts are tried in order, a cached
connection first among equals (connections.py), until one takes the message.  On a
connection the transaction is MAIL, one RCPT per recipient (with NOTIFY/ORCPT when the
server offers DSN), DATA; every recipient gets its own verdict, as sendmail gives them:

* a host that cannot be reached, or refuses the session, moves on to the next host
  (FallbackSmartHost gets one try after a host fails with "no such host" or a
  temporary error); when none is left every recipient gets the last host's status;
* a 4xx to MAIL or DATA (after some RCPT was accepted) moves the whole batch on to
  the next host; a recipient refused with 4xx waits for the next host, or the queue;
* a 5xx refuses the recipients it concerns for good.

A server that limits recipients per transaction (452 4.5.3 "too many recipients",
after accepting some) gets the rest in further transactions on the same connection, as
Postfix does; sendmail would leave them for the next queue run.

With PIPELINING the RCPTs and the DATA go in one write, as sendmail sends them.  With
F=z the mailer speaks LMTP (LHLO, then one reply per recipient after the data), over
TCP, over a socket in the file system (`A=FILE /path`), or as a program without $u in A=
that talks on its standard input and output (as FEATURE(local_lmtp) sets up mail.local).

Not done here: the try_tls/tls_server/tls_rcpt rulesets, SMTP AUTH, DELIVERBY, and
8-bit to 7-bit MIME conversion: where sendmail would convert, monomail behaves as a
sendmail built without MIME8TO7 (EightBitMode=p passes the 8-bit message on; m and s,
and F=7 mailers, refuse it with 5.6.3).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from monomail import sysexits as ex
from monomail.config.macros import expand
from monomail.config.model import Config
from monomail.maps.hostlookup import HostLookup
from monomail.maps.resolver import HOST_NOT_FOUND, TRY_AGAIN
from monomail.rewrite.env import RewriteEnv

from .connections import ConnectionCache
from .job import AgentSettings
from .mx import HostFailure, MxResolver, order_hosts
from .outcome import Outcome
from .program import identity_for
from .result import (DeliveryReport, DeliveryResult, Decision, default_status, response_lines,
                     sysexit)
from .router import Batch, Envelope, Recipient
from .smtpsession import (DNS_ERRORS, Dialogue, HostDown, HostStatus, LinkLost, Program,
                          SmtpSession, TlsFailed, open_program_session, open_session,
                          open_socket_session)
from .smtpsettings import ClientSettings, mailer_port
from .smtpwire import (Reply, data_section, data_verdict, dsn_mail_parameters, mail_command,
                       mail_verdict, needs_smtputf8, rcpt_command, rcpt_parameters,
                       rcpt_verdict, stat_text)

@dataclass
class _Rcpt:
    """A recipient during one delivery: "todo" (not yet offered to this host), "ok"
    (accepted by RCPT), "retry" (refused with 4xx: another host may take it), "split"
    (over the server's recipient limit: the next transaction takes it) or "done"."""

    recipient: Recipient
    user: str
    state: str = "todo"
    reply: Reply | None = None


@dataclass
class _Verdict:
    """How a transaction ended, for the recipients still "ok"."""

    rcode: int
    status: str
    reply: str | None = None
    detail: str | None = None
    retry_all: bool = False
    message: str | None = None
    log_status: str | None = None


class SmtpClient:
    """Sends batches of SMTP mailers.  One per process: it owns the connection cache."""

    def __init__(self, settings: ClientSettings, mx: MxResolver,
                 cache: ConnectionCache | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 agents: AgentSettings | None = None,
                 macros: Mapping[int, str] | None = None) -> None:
        """agents and macros serve mailer programs that speak SMTP or LMTP on a pipe: who
        they run as and what their A= words expand to besides $h and $g."""
        self.settings = settings
        self.mx = mx
        self.cache = cache if cache is not None else ConnectionCache(0, 0)
        self.clock = clock
        self.agents = agents or AgentSettings()
        self.macros = dict(macros or {})

    @classmethod
    def from_config(cls, config: Config, hosts: HostLookup | None = None) -> "SmtpClient":
        """A client as the cf's options say: ClientSettings, MX lookups through `hosts`
        (by default the cf's own: service switch, hosts file, ResolverOptions,
        FallbackMXhost, Monomail.NameServer) and a ConnectionCacheSize cache."""
        settings = ClientSettings.from_config(config)
        if hosts is None:
            hosts = RewriteEnv(config, lambda _line: None).hosts
        opts = config.options
        domain = config.macros.get(ord("m"))
        cache = ConnectionCache(int(opts.get("ConnectionCacheSize") or 0),  # type: ignore[call-overload]
                                float(opts.get("ConnectionCacheTimeout") or 0))  # type: ignore[arg-type]
        return cls(settings, MxResolver(hosts, settings.is_local, domain), cache,
                   agents=AgentSettings.from_config(config), macros=config.macros)

    async def close(self) -> None:
        """QUIT the cached connections and stop the lookup threads."""
        await self.cache.close_all()
        self.mx.close()

    async def deliver(self, batch: Batch, envelope: Envelope, message: bytes,
                      verbose: Callable[[str], None] | None = None) -> DeliveryReport:
        """Deliver one batch; `message` is the message as it is to be sent (headers
        rendered), with any line ends; verbose receives what `sendmail -v` prints."""
        return await _Attempt(self, batch, envelope, message, verbose).run()


class _Attempt:
    """One delivery of one batch (the state sendmail keeps in deliver()'s locals)."""

    def __init__(self, client: SmtpClient, batch: Batch, envelope: Envelope, message: bytes,
                 verbose: Callable[[str], None] | None) -> None:
        self.client = client
        self.settings = client.settings
        self.batch = batch
        self.mailer = batch.mailer
        self.envelope = envelope
        self.message = message
        self.rcpts = [_Rcpt(r, u) for r, u in zip(batch.recipients, batch.users)]
        self.report = DeliveryReport()
        self.dialogue = Dialogue(verbose, self.report.transcript,
                                 ",".join(r.paddr for r in batch.recipients))
        self.xstart = client.clock()
        self._wire_bytes: bytes | None = None

    # ---- the walk over the hosts --------------------------------------------------------

    async def run(self) -> DeliveryReport:
        if self.mailer.path != "[IPC]" or self.mailer.argv[:1] == ("FILE",):
            return await self._run_local()
        host_expr, port = self._destination()
        route = await self.client.mx.route(self.mailer, host_expr)
        cache = self.client.cache
        hosts = [(h, False) for h in order_hosts(
            route.signature, lambda h: cache.has(self.mailer.name, h))]
        last = HostStatus(ex.EX_SOFTWARE, detail="deliver: no host name")
        last_host: str | None = None
        good_mx = False
        aconnect = self.settings.timeout("aconnect")
        deadline = self.xstart + aconnect if aconnect else None
        fallback_mx = {h.lower() for h in self.client.mx.hosts.fallback_mx_hosts}
        i = 0
        out_of_time = False
        while i < len(hosts):
            host, fallback = hosts[i]
            i += 1
            if out_of_time and not fallback and host.rstrip(".") not in fallback_mx:
                continue  # Timeout.aconnect: only the fallback hosts are still tried
            session, state = await self._session(host, port, route.failures.get(host))
            if session is None:
                assert state is not None
                last, last_host = state, host
                out_of_time = deadline is not None and self.client.clock() >= deadline
                good_mx = good_mx or state.rcode == ex.EX_TEMPFAIL
                if not fallback and self._try_fallback(state.rcode):
                    hosts.insert(i, (self.settings.fallback_smart_host or "", True))
                continue
            good_mx = True
            for r in self.rcpts:
                if r.state in ("ok", "retry"):
                    r.state = "todo"
            try:
                verdict = await self._transactions(session)
            except BaseException:  # cancelled, or a bug: the connection is in no known state
                session.close()
                self.client.cache.discard(session)
                raise
            more = i < len(hosts)
            await self._release(session)
            if verdict.rcode == ex.EX_TEMPFAIL and more and verdict.retry_all:
                continue
            self._finish(verdict, session.host, session.address, session)
            if more and any(r.state == "retry" for r in self.rcpts):
                continue
            return self.report
        rcode = last.rcode
        if good_mx and rcode == ex.EX_NOHOST:
            rcode = ex.EX_TEMPFAIL
        status, log_status = last.status, None
        if status is None:
            status = default_status(rcode)
            log_status = sysexit(rcode).status
        self._finish(_Verdict(rcode, status, last.reply, last.detail, log_status=log_status),
                     last_host, last.address, None)
        return self.report

    async def _run_local(self) -> DeliveryReport:
        """A mailer on this machine: `A=FILE /socket` of an [IPC] mailer, or a program
        without $u in A=; one endpoint, no MX, no cache (sendmail's LPC and pipes)."""
        m = self.mailer
        try:
            if m.path == "[IPC]":
                path = self._expand(m.argv[1])
                self.dialogue.message(f"Connecting to {path} via {m.name}...")
                session = await open_socket_session(m, path, self.settings, self.dialogue)
            else:
                host = self.batch.host
                self.dialogue.message(f"Connecting to {host} via {m.name}..." if host
                                      else f"Connecting to {m.name}...")
                session = await open_program_session(m, self._program(), self.settings,
                                                     self.dialogue)
        except HostDown as down:
            state = down.state
            status = state.status or default_status(state.rcode)
            if state.rcode == ex.EX_TEMPFAIL:
                verdict = _Verdict(state.rcode, status, state.reply, state.detail)
            else:  # sendmail shows its reason (Cannot exec ...) in the transcript only
                verdict = _Verdict(state.rcode, status, state.reply, message=state.detail)
            self._finish(verdict, None, None, None)
            return self.report
        try:
            verdict = await self._transactions(session)
            self._finish(verdict, session.host, session.address, session)
        finally:
            await session.quit()
        return self.report

    def _program(self) -> Program:
        """The mailer's program as openmailer starts it: A= with its macros expanded, the
        agents' environment and identity, the first D= directory that exists."""
        m, agents = self.mailer, self.client.agents
        identity = identity_for(m, None, None, agents)
        if isinstance(identity, Outcome):
            raise HostDown(HostStatus(identity.exit, identity.dsn, detail=identity.transcript))
        folders = [self._expand(d) for d in (m.execdir or "").split(":") if d]
        cwd = next((d for d in folders if os.path.isdir(d)), None)
        return Program([self._expand(a) for a in m.argv], dict(agents.environment), cwd,
                       identity)

    def _expand(self, word: str) -> str:
        """A mailer word with $h, $g and the cf's macros."""
        def value(mid: int) -> str | None:
            if mid == ord("h"):
                return self.batch.host
            if mid == ord("g"):
                return self.batch.sender
            return self.client.macros.get(mid)
        return expand(word, value, self.dialogue.log.append)

    def _destination(self) -> tuple[str, int | None]:
        """$h expanded into the mailer's `A=TCP $h port`: the host and the port."""
        words = [self._expand(a) for a in self.mailer.argv[1:3]]
        port = mailer_port(words[1] if len(words) > 1 else None, self.dialogue.log.append)
        return words[0], port

    def _try_fallback(self, rcode: int) -> bool:
        """should_try_fbsh: after "no such host" or a temporary failure, once per host."""
        fbsh = self.settings.fallback_smart_host
        return (rcode in (ex.EX_NOHOST, ex.EX_TEMPFAIL) and bool(fbsh)
                and not self.settings.is_local(fbsh or ""))

    async def _session(self, host: str, port: int | None, failure: HostFailure | None
                       ) -> tuple[SmtpSession | None, HostStatus | None]:
        """A ready session to host (cached and probed, or new), or why there is none."""
        if failure is not None:
            return None, _from_failure(host, failure)
        cache = self.client.cache
        cached = cache.take(self.mailer.name, host)
        if isinstance(cached, SmtpSession):
            cached.dialogue = self.dialogue
            if await cached.probe():
                kind = "ES" if cached.esmtp else "S"
                self.dialogue.message(f"Using cached {kind}MTP connection to {host} "
                                      f"via {self.mailer.name}...")
                return cached, None
            cache.discard(cached)
        where = f"{host} port {port}" if port else host
        self.dialogue.message(f"Connecting to {where} via {self.mailer.name}...")
        first = self.envelope.tries == 0
        try:
            return await open_session(self.mailer, host, port, self.settings, self.client.mx,
                                      self.dialogue, first_try=first), None
        except TlsFailed as failed:
            if not self.settings.tls_fallback_to_clear:
                return None, failed.state
        except HostDown as down:
            return None, down.state
        try:
            return await open_session(self.mailer, host, port, self.settings, self.client.mx,
                                      self.dialogue, first_try=first, use_tls=False), None
        except HostDown as down:
            return None, down.state

    async def _release(self, session: SmtpSession) -> None:
        """Back into the cache, or QUIT."""
        session.deliveries += 1
        session.last_use = self.client.clock()
        if not self.client.cache.put(session):
            await session.quit()

    # ---- transactions --------------------------------------------------------------------

    async def _transactions(self, session: SmtpSession) -> _Verdict:
        """One transaction, and more while the server's recipient limit left some over."""
        verdict = await self._transaction(session)
        while any(r.state == "split" for r in self.rcpts):
            if verdict.rcode != ex.EX_OK or not session.is_open:
                for r in self.rcpts:
                    if r.state == "split":
                        self._refused(r, r.reply, session)  # type: ignore[arg-type]
                break
            self._finish(verdict, session.host, session.address, session)
            for r in self.rcpts:
                if r.state == "split":
                    r.state = "todo"
            verdict = await self._transaction(session)
        return verdict

    async def _transaction(self, session: SmtpSession) -> _Verdict:
        """smtpmailfrom, smtprcpt for each recipient, smtpdata."""
        mail = self._mail_arguments(session)
        if isinstance(mail, _Verdict):
            return mail
        try:
            reply = await session.command(mail, "mail", "client MAIL")
        except LinkLost as lost:
            return _Verdict(ex.EX_TEMPFAIL, "4.4.2", None, lost.detail, retry_all=True)
        rcode, status = mail_verdict(reply, session.enhanced_codes)
        if rcode != ex.EX_OK:
            if rcode == ex.EX_PROTOCOL:
                self.dialogue.log.append(f"{session.host}: SMTP MAIL protocol error: {reply.line}")
                await session.quit()
            detail = reply.line if rcode == ex.EX_TEMPFAIL else None
            return _Verdict(rcode, status, reply.line, detail, retry_all=rcode == ex.EX_TEMPFAIL)
        if session.offers("pipelining"):
            return await self._pipelined(session)
        accepted, last = await self._recipients(session)
        if not accepted:
            if session.is_open:
                await _quietly(session.command("RSET", "rset", "client RSET"))
            return last
        try:
            reply = await session.command("DATA", "datainit", "client DATA 354")
        except LinkLost as lost:
            return _Verdict(ex.EX_TEMPFAIL, "4.4.2", None, lost.detail, True)
        return await self._data(session, reply, accepted)

    def _mail_arguments(self, session: SmtpSession) -> str | _Verdict:
        """The MAIL command for this session, or why the message cannot go to it."""
        env, m = self.envelope, self.mailer
        sender = "" if env.null_sender and not m.has("g") else self.batch.sender
        if sender.startswith("<") and sender.endswith(">"):
            sender = sender[1:-1]
        if m.has("p") and sender and not env.sender_local:
            sender = f"@{self.settings.my_hostname}{',' if sender.startswith('@') else ':'}{sender}"
        params: list[str] = []
        if session.offers("size") and env.size > 0:
            params.append(f"SIZE={env.size}")
        if needs_smtputf8(env, sender, [r.user for r in self.rcpts]):
            if not self.settings.smtputf8:
                return _refusal("5.6.7", "504 5.6.7 SMTPUTF8 required but not enabled")
            if not session.offers("smtputf8"):
                return _refusal("5.6.7", "504 5.6.7 SMTPUTF8 required but not offered")
            params.append("SMTPUTF8")
        body = self._body_type(session)
        if isinstance(body, _Verdict):
            return body
        if body:
            params.append(f"BODY={body}")
        if session.offers("dsn"):
            params.extend(dsn_mail_parameters(env))
        return mail_command(sender, params)

    def _body_type(self, session: SmtpSession) -> str | None | _Verdict:
        """smtpmailfrom's 8-bit decision (see the module's note on MIME conversion)."""
        env, m, mode = self.envelope, self.mailer, self.settings.eight_bit_mode
        if env.has_8bit and m.has("7"):
            return _refusal("5.6.3", "554 5.6.3 Cannot send 8-bit data to 7-bit destination")
        if session.offers("8bitmime"):
            if env.body_type is None and mode == "m" and env.has_8bit and not m.has("8"):
                return "8BITMIME"
            return env.body_type
        if m.has("8") or not env.has_8bit or session.eight_bit_ok or mode == "p":
            return None
        return _refusal("5.6.3", f"554 5.6.3 {session.host} does not support 8BITMIME")

    def _rcpt_lines(self, session: SmtpSession) -> list[tuple[_Rcpt, str]]:
        """The recipients to offer in this transaction, with their RCPT commands."""
        local = self.mailer.has("l")
        todo = []
        for r in self.rcpts:
            if r.state == "todo":
                r.state = "ok"
                params = rcpt_parameters(r.recipient, local) if session.offers("dsn") else []
                todo.append((r, rcpt_command(r.user, params)))
        return todo

    async def _recipients(self, session: SmtpSession) -> tuple[list[_Rcpt], _Verdict]:
        """RCPT for every recipient not yet decided; (those accepted, last verdict)."""
        accepted: list[_Rcpt] = []
        last = _Verdict(ex.EX_OK, "2.0.0")
        for r, line in self._rcpt_lines(session):
            try:
                reply = await session.command(line, "rcpt", "client RCPT")
            except LinkLost as lost:
                last = _Verdict(ex.EX_TEMPFAIL, "4.4.2", lost.reply, lost.detail, True)
                self._decide([r], last, session, state="retry")
                continue
            last = self._rcpt_reply(r, reply, accepted, last, session)
        return accepted, last

    async def _pipelined(self, session: SmtpSession) -> _Verdict:
        """PIPELINING as sendmail does it: every RCPT and the DATA in one write, then
        the replies in order; DATA's reply decides what follows."""
        todo = self._rcpt_lines(session)
        replies = session.pipeline([line for _, line in todo] + ["DATA"],
                                   ["rcpt"] * len(todo) + ["datainit"], "client RCPT")
        accepted: list[_Rcpt] = []
        last = _Verdict(ex.EX_OK, "2.0.0")
        try:
            for r, _line in todo:
                last = self._rcpt_reply(r, await anext(replies), accepted, last, session)
            reply = await anext(replies)
        except LinkLost as lost:
            last = _Verdict(ex.EX_TEMPFAIL, "4.4.2", lost.reply, lost.detail, True)
            unanswered = [r for r, _ in todo if r.state == "ok" and r.reply is None]
            if unanswered:
                self._decide(unanswered, last, session, state="retry")
            return last
        if accepted:
            return await self._data(session, reply, accepted)
        if reply.kind == 3:  # a server that took DATA without recipients gets an empty one
            await _quietly(self._end_data(session, b".\r\n"))
        elif session.is_open:
            await _quietly(session.command("RSET", "rset", "client RSET"))
        return last

    def _rcpt_reply(self, r: _Rcpt, reply: Reply, accepted: list[_Rcpt], last: _Verdict,
                    session: SmtpSession) -> _Verdict:
        """smtprcptstat: accepted (added to `accepted`), over the server's limit, or refused;
        the transaction's verdict so far."""
        r.reply = reply
        rcode, _status = rcpt_verdict(reply, session.enhanced_codes)
        if rcode == ex.EX_OK:
            accepted.append(r)
            return last
        if accepted and _over_limit(reply):
            r.state = "split"
            return last
        return self._refused(r, reply, session)

    def _refused(self, r: _Rcpt, reply: Reply, session: SmtpSession) -> _Verdict:
        rcode, status = rcpt_verdict(reply, session.enhanced_codes)
        if rcode == ex.EX_PROTOCOL:
            self.dialogue.log.append(f"{session.host}: SMTP RCPT protocol error: {reply.line}")
        temporary = rcode == ex.EX_TEMPFAIL
        verdict = _Verdict(rcode, status, reply.line, reply.line if temporary else None, temporary)
        self._decide([r], verdict, session, state="retry" if temporary else "done")
        return verdict

    async def _data(self, session: SmtpSession, reply: Reply, accepted: list[_Rcpt]) -> _Verdict:
        """smtpdata after the reply to DATA: the message, the final reply (with LMTP one
        per accepted recipient)."""
        enhanced = session.enhanced_codes
        try:
            if reply.kind == 4:
                await session.quit()
                status = (reply.enhanced() if enhanced else None) or "4.0.0"
                return _Verdict(ex.EX_TEMPFAIL, status, reply.line, reply.line, True)
            if reply.kind != 3:
                await _quietly(session.command("RSET", "rset", "client RSET"))
                rcode = ex.EX_UNAVAILABLE if reply.kind == 5 else ex.EX_PROTOCOL
                return _Verdict(rcode, data_verdict(reply, enhanced)[1], reply.line)
            if session.lmtp:
                await session.send_data(self._wire())
                self.dialogue.say(">>> .")
                return await self._lmtp_statuses(session, accepted)
            final = await self._end_data(session, self._wire())
        except LinkLost as lost:
            return _Verdict(ex.EX_TEMPFAIL, "4.4.2", None, lost.detail, True)
        rcode, status = data_verdict(final, enhanced)
        if rcode == ex.EX_OK:
            return _Verdict(rcode, status, None, final.text_after_codes(enhanced))
        detail = final.line if rcode == ex.EX_TEMPFAIL else None
        return _Verdict(rcode, status, final.line, detail, rcode == ex.EX_TEMPFAIL)

    async def _lmtp_statuses(self, session: SmtpSession, accepted: list[_Rcpt]) -> _Verdict:
        """LMTP's replies after the data, one per accepted recipient (smtpgetstat): each
        failure gets its own verdict, the deliveries one together."""
        enhanced = session.enhanced_codes
        sent: list[_Rcpt] = []
        ok = _Verdict(ex.EX_OK, "2.0.0")
        for index, r in enumerate(accepted):
            try:
                reply = await session.read_reply("datafinal", "client DATA status")
            except LinkLost as lost:
                self._decide(accepted[index:], _Verdict(ex.EX_TEMPFAIL, "4.4.2", None,
                                                        lost.detail), session)
                break
            rcode, status = data_verdict(reply, enhanced)
            if rcode == ex.EX_OK:
                sent.append(r)
                ok = _Verdict(rcode, status, None, reply.text_after_codes(enhanced))
                continue
            detail = reply.line if rcode == ex.EX_TEMPFAIL else None
            self._decide([r], _Verdict(rcode, status, reply.line, detail), session)
        if sent:
            self._decide(sent, ok, session)
        return ok

    async def _end_data(self, session: SmtpSession, data: bytes) -> Reply:
        await session.send_data(data)
        self.dialogue.say(">>> .")
        return await session.read_reply("datafinal", "client DATA status")

    def _wire(self) -> bytes:
        if self._wire_bytes is None:
            self._wire_bytes = data_section(self.message, self.mailer.linelimit, self.mailer.has("E"))
        return self._wire_bytes

    # ---- verdicts --------------------------------------------------------------------------

    def _finish(self, verdict: _Verdict, host: str | None, address: str | None,
                session: SmtpSession | None) -> None:
        """give_up: the verdict for every recipient accepted or not yet tried."""
        targets = [r for r in self.rcpts if r.state in ("ok", "todo")]
        if targets:
            self._decide(targets, verdict, session, host=host, address=address)

    def _decide(self, rcpts: list[_Rcpt], verdict: _Verdict, session: SmtpSession | None,
                state: str = "done", host: str | None = None,
                address: str | None = None) -> None:
        """giveresponse + markfailure for some recipients: one Outcome, one log line."""
        if session is not None:
            host, address = session.host, session.address
        text = stat_text(verdict.rcode, verdict.detail)
        result = DeliveryResult(verdict.rcode, verdict.status, text, verdict.reply,
                                remote_mta=host, relay_host=host, relay_addr=address,
                                message=verdict.message, log_status=verdict.log_status)
        recipients = tuple(r.recipient for r in rcpts)
        relayed: tuple[Recipient, ...] = ()
        if verdict.rcode == ex.EX_OK and not (session is not None and session.offers("dsn")):
            relayed = tuple(r for r in recipients
                            if r.primary and r.notify is not None and "SUCCESS" in r.notify)
        self.report.outcomes.append(Decision(recipients, result,
                                            self.client.clock() - self.xstart, relayed))
        for r in rcpts:
            r.state = state
        who = ",".join(r.paddr for r in recipients)
        if verdict.rcode in (ex.EX_OK, ex.EX_TEMPFAIL):
            self.dialogue.message(text, to=who)  # failures are held for the bounce, as usrerr's
        self.report.transcript.extend(response_lines(result, who))
        self.report.transcript.extend(f"{r.paddr}... relayed; expect no further notifications"
                                      for r in relayed)
        self.report.log.extend(self.dialogue.log)
        self.dialogue.log.clear()


def _from_failure(host: str, failure: HostFailure) -> HostStatus:
    """The host status a failed MX lookup left (hostsignature's mci_setstat)."""
    detail = None
    if failure.herrno in (HOST_NOT_FOUND, TRY_AGAIN):
        text = "host not found" if failure.herrno == HOST_NOT_FOUND else DNS_ERRORS[TRY_AGAIN]
        detail = f"Name server: {host}: {text}"
    return HostStatus(failure.rcode, failure.status, None, detail)


def _refusal(status: str, message: str) -> _Verdict:
    """The message cannot go to this peer at all (EX_DATAERR, no command sent)."""
    return _Verdict(ex.EX_DATAERR, status, message=message)


def _over_limit(reply: Reply) -> bool:
    """452 "too many recipients" (RFC 5321 4.5.3.1.10), not a full mailbox."""
    return reply.code == 452 and (reply.enhanced() == "4.5.3"
                                  or "too many recipients" in reply.lines[0].lower())


async def _quietly(command) -> None:  # type: ignore[no-untyped-def]
    try:
        await command
    except LinkLost:
        pass

