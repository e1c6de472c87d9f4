"""The -bt commands fed to both cfs of every test .mc: addresses of every shape through rulesets
3, 0 and 4, /parse and /try for the mailers, and the check_* rulesets under several SMTP clients.

Names refer to tests/m4/data/settings: hosts (mail.example.com is us, hub/smart/relay hosts exist),
local-host-names, relay-domains and the maps.
"""

from __future__ import annotations

RECIPIENTS = [
    "joe", "joe@mail.example.com", "joe@example.com", "joe@mail", "joe@localhost", "joe@localhost.example.com",
    "joe@[192.0.2.10]", "joe@[192.0.2.77]", "joe@[10.1.2.3]", "joe@[IPv6:2001:db8::25]", "joe@[IPv6:::1]",
    "joe@remote.example.org", "joe@client.example.org", "joe@smart.example.net", "joe@hub.example.com",
    "Joe.Public@EXAMPLE.COM", "joe+detail@example.com", "joe+@example.com", "joe+a+b@mail.example.com",
    '"joe q"@example.com', '"joe"@example.com', '"joe"', "joe%remote.example.org@example.com",
    "joe%remote.example.org", "a%b%c@mail.example.com", "host!joe", "a!b!joe", "host.example.org!joe",
    "uuhost!joe@mail.example.com", "joe@uuhost.UUCP", "joe@newuu.UUCP", "joe@olduu.UUCP", "joe@uudomhost.UUCP",
    "@remote.example.org:joe@dest.example.org", "@a.example,@b.example:joe@c.example", "@mail.example.com:joe",
    "<joe@remote.example.org>", "Joe Public <joe@remote.example.org>", "joe@remote.example.org (Joe Public)",
    "group: a@b.example, c@d.example;", "undisclosed-recipients:;", "<>", "@", "joe@", "@host.example",
    "joe@@host.example", "joe@host@host.example", "joe@.example.com", "joe@host..example.com",
    "joe@[1.2.3.4]x", "joe@host:25", "joe@host.REDIRECT", "joe@newplace.example.REDIRECT",
    "postmaster", "MAILER-DAEMON", "root", "root@mail.example.com", "admin@mail.example.com", "operator",
    "joe@relayed.example", "joe@sub.relayed.example", "joe@relayme.example", "joe@mt.example",
    "joe@sub.mt.example", "joe@a.b.mt.example", "joe@uucp.example", "joe@err.example", "joe@err2.example",
    "joe@localmt.example", "joe@localuser.example", "joe@literal.example", "joe@old.example",
    "joe@legacy.example", "joe@host.legacy", "info@virtual.example", "sales@virtual.example",
    "bad@virtual.example", "bad2@virtual.example", "plus+x@virtual.example", "plus2+sub@virtual.example",
    "nobody@virtual.example", "x@other.virtual", "x@sub.virtual.example", "joe@canon.example",
    "joe@fax.mail.example.com", "joe@special.example", "joe@pc.lan", "joe@secret.example",
    "joe@hidden.example", "joe@masq.example", "joe@sub.masq.example", "joe@other.example.com",
    "joe@keep.masq.example", "joe@generic.example", "ann@mail.example.com", "bob+x@mail.example.com",
    "joe@example.com.", "joe.@example.com", ".joe@example.com", "a,b@example.com", "joe@v6.example.org",
    ":include:/etc/mail/list", "/var/tmp/file", "|/usr/bin/vacation joe", "joe@alias.example.com",
    "user@bl.example.net", "joe\\@mail@example.com", "joe@sub.dotted.example", "joe@x.subdot.example",
]

SENDERS = [
    "<>", "joe", "<joe>", "joe@mail.example.com", "<joe@example.com>", "<joe@localhost>", "<joe@[127.0.0.1]>",
    "<joe@[IPv6:::1]>", "<joe@remote.example.org>", "<joe@client.example.org>", "<spam@example.org>",
    "<x@bad.example>", "<x@sub.bad.example>", "<discard@example.org>", "<ok@example.org>", "<held@example.org>",
    "<lister+x@example.org>", "<postmaster>", "<relayfrom@example.org>", "<nobody@mail.example.com>",
    "<joe@unknown.invalid>", "<joe@host.REDIRECT>", "<@route.example:joe@remote.example.org>",
    "<joe@[10.1.2.3]>", "<joe@skipped.example>", "<a!b!joe>", "<joe%x@example.com>",
]

CHECK_RCPT = [
    "<joe@mail.example.com>", "<joe@example.com>", "<joe>", "joe", "<postmaster>", "<>",
    "<joe@remote.example.org>", "<joe@relayed.example>", "<joe@sub.relayed.example>", "<joe@relayme.example>",
    "<blocked@example.com>", "<quarantine@example.com>", "<err@example.com>", "<user+x@example.com>",
    "<friend@example.com>", "<hater@example.com>", "<x@example.net>", "<joe%remote.example.org@mail.example.com>",
    "<joe%relayed.example@mail.example.com>", "<a!joe@mail.example.com>", "<host!joe>",
    "<fulladdr@elsewhere.example>", "<joe@elsewhere.example>", "<joe@client.example.org>",
    "<joe@nospam.example>", "<joe@sub.dotted.example>", "<joe@x.subdot.example>", "<joe@skipped.example>",
    "<info@virtual.example>", "<joe@[192.0.2.10]>", "<joe@mt.example>",
]

#: SMTP client situations: macros defined before each check_rcpt / check_mail batch
CLIENTS = {
    "local": {"client_addr": "127.0.0.1", "client_name": "localhost", "client_resolve": "OK"},
    "submitted": {"client_addr": "", "client_name": "", "client_resolve": ""},
    "remote": {"client_addr": "198.51.100.5", "client_name": "client.example.org", "client_resolve": "OK"},
    "relaynet": {"client_addr": "192.0.2.99", "client_name": "[192.0.2.99]", "client_resolve": "FAIL"},
    "accessnet": {"client_addr": "203.0.113.9", "client_name": "sub.relayed.example", "client_resolve": "OK"},
    "friendhost": {"client_addr": "198.51.100.6", "client_name": "friend.example.org", "client_resolve": "OK"},
    "stranger": {"client_addr": "10.0.0.200", "client_name": "host.elsewhere.example", "client_resolve": "OK"},
    "temp": {"client_addr": "10.0.0.201", "client_name": "[10.0.0.201]", "client_resolve": "TEMP"},
    "forged": {"client_addr": "10.0.0.202", "client_name": "forged.example", "client_resolve": "FORGED"},
    "authed": {"client_addr": "10.0.0.203", "client_name": "roaming.example", "client_resolve": "OK",
               "auth_type": "PLAIN", "auth_authen": "joe"},
}

CHECK_RELAY = [
    ("client.example.org", "198.51.100.5"), ("spammer.example", "198.51.100.66"), ("", "198.51.100.66"),
    ("sub.spammer.example", "192.0.2.1"), ("[192.0.2.99]", "192.0.2.99"), ("x.badnet.example", "192.0.2.2"),
    ("host.example", "198.51.100.77"), ("host.example", "198.51.100.88"), ("", "203.0.113.44"),
    ("nowhere.example", "10.9.8.7"), ("localhost", "127.0.0.1"), ("v6.example.org", "IPv6:2001:db8::25"),
]


def _set(macros: dict[str, str]) -> list[str]:
    return [f".D{{{name}}}{value}" for name, value in macros.items()]


def commands() -> list[str]:
    """Every -bt line of a differential session, in order."""
    lines = ["$=w", "$=R", "$=E", "$=M", "$=N", "$=G", "$=L", "$=P", "$={VirtHost}", "$={Canonify}",
             "$j", "$S", "$H", "$R", "$M", "$L", "$Y", "$n", "$={ResOk}", "$={Accept}", "$={Src}"]
    for address in RECIPIENTS:
        lines += [f"3,0 {address}", f"/parse {address}", f"3,4 {address}"]
    lines += ["/tryflags ES"] + [f"/parse {address}" for address in RECIPIENTS[:40]]
    for flags in ("ES", "ER", "HS", "HR"):
        lines.append(f"/tryflags {flags}")
        for mailer in ("esmtp", "relay", "local", "uucp-dom", "procmail"):
            lines += [f"/try {mailer} {address}" for address in RECIPIENTS[:14]]
    lines += [f"3,1 {address}" for address in ("joe@secret.example", "joe", "joe@mail.example.com")]
    lines += [f"3,2 {address}" for address in ("joe@hidden.example", "joe", "joe@mail.example.com")]
    for host, value in (("", ""), ("+x", "+x"), ("", "example.org"), ("+", "+")):
        lines += [f".Dh{value}"] + [f"localaddr {user}" for user in ("joe", "joe+x", "joe+", "lost", "root")]
    lines.append(".Dh")
    for client, macros in CLIENTS.items():
        lines += _set({"auth_type": "", "auth_authen": "", "daemon_flags": "", **macros})
        for sender in SENDERS:
            lines += [f".Df{sender.strip('<>')}", f"check_mail {sender}"]
        for sender in ("joe@remote.example.org", "ok@example.org", "spam@example.org", "joe@mail.example.com"):
            lines.append(f".Df{sender}")
            lines += [f"check_rcpt {rcpt}" for rcpt in (CHECK_RCPT if sender.startswith("joe@r") else CHECK_RCPT[::3])]
    for flags in ("u", "f", "CC", "c"):
        lines += _set({"daemon_flags": flags, "client_addr": "198.51.100.5", "client_name": "client.example.org"})
        lines += [f"check_mail {sender}" for sender in ("joe", "<joe@localhost>", "<joe@mail>", "<joe@remote>")]
        lines += [f"3,0 {address}" for address in ("joe@mail", "joe@client", "joe@remote.example.org")]
    lines += _set({"daemon_flags": "", "client_addr": "", "client_name": ""})
    for name, addr in CHECK_RELAY:
        lines += [f"Start,check_relay {name} $| {addr}", f"Start,greet_pause {name} $| {addr}"]
    lines += ["check_relay client.example.org", "RateControl x", "ConnControl x"]
    for verify in ("OK", "FAIL", "NO", "", "SOFTWARE", "PROTOCOL"):
        lines += [f".D{{verify}}{verify}"]
        for name, addr in (("client.example.org", "198.51.100.5"), ("friend.example.org", "198.51.100.6")):
            lines += _set({"client_name": name, "client_addr": addr, "server_name": name, "server_addr": addr})
            lines += [f"Start,tls_client {verify} $| MAIL", f"tls_server {verify}", "srv_features x",
                      "clt_features x", "try_tls x", "RelayTLS x", "authinfo x"]
        lines += [f"tls_rcpt joe@{domain}" for domain in ("secure.example", "example.org")]
    lines += _set({"server_name": "relay.example.net", "server_addr": "203.0.113.7", "cert_issuer": "/C=US/O=Example_CA"})
    lines += ["try_tls x", "clt_features x", "RelayTLS x", "authinfo x"]
    lines += _set({"auth_type": "PLAIN", "auth_authen": "joe", "auth_author": "ann"})
    lines += ["trust_auth joe", "trust_auth <joe>", "trust_auth ann"]
    return lines + feature_commands()


#: (sender, recipient) pairs of check_compat; HELO names of block_bad_helo
COMPAT = [("joe@remote.example.org", "blocked@example.com"), ("ok@example.org", "joe@example.com"),
          ("spam@example.org", "joe@example.com"), ("held@example.org", "joe@example.com"),
          ("joe@remote.example.org", "joe@example.com")]
HELOS = ["mail.example.com", "[192.0.2.10]", "[127.0.0.1]", "localhost", "foo", "foo.example", ".foo",
         "[IPv6:2001:db8::1]", "[1.2.3.4]", "[mail.example.com]", ""]


def feature_commands() -> list[str]:
    """Lines for the rulesets of the rarer FEATUREs: check_compat, check_other, queuegroup, BadMX,
    require_rdns, use_client_ptr, rhsbl and block_bad_helo (all macros they read are set here)."""
    lines = ["$=B", "$=w", "$=R"]
    lines += [f"Start,check_compat <{sender}> $| <{rcpt}>" for sender, rcpt in COMPAT]
    lines += [f"Start,check_other {cmd} $| {code}" for cmd in ("MAIL FROM:<joe>", "Subject: hi", "GARBAGE", "GET / HTTP/1.0")
              for code in ("2", "5", "4")]
    lines += [f"queuegroup {rcpt}" for rcpt in ("<joe@example.com>", "ann@example.org", "joe@other.example", "joe")]
    lines += [f"BadMX {domain}" for domain in ("example.org", "mail.example.com")]
    lines += [f"localaddr {rcpt}" for rcpt in ("joe@remote.example.org", "joe@mail.example.com", "a%b@mail.example.com", "node::joe")]
    lines += [f"{rulesets} {rcpt}" for rcpt in ("node::joe", "1.2::joe", "joe@node.DECNET") for rulesets in ("3,0", "3,4", "/parse")]
    lines += _set({"client_name": "nowhere.example", "client_addr": "10.9.8.7", "client_ptr": "spammer.example"})
    lines += ["Start,check_relay nowhere.example $| 10.9.8.7", ".D{client_ptr}nowhere.example"]
    for resolve in ("OK", "FAIL", "TEMP", "FORGED", ""):
        for sender in ("joe@remote.example.org", "spam@example.org", "ok@example.org", "", "joe"):
            lines += [f".D{{client_resolve}}{resolve}", f".Df{sender}"]
            lines += ["Start,check_relay spammer.example $| 10.9.8.7", "Start,check_relay [10.0.0.9] $| 10.0.0.9"]
        lines += [".D{client_addr}192.0.2.99", "Start,check_relay x $| 192.0.2.99", ".D{client_addr}10.9.8.7"]
    lines += _set({"client_resolve": "OK", "client_ptr": "", "auth_authen": ""}) + [".Dfjoe@remote.example.org"]
    for client in ("10.0.0.200", "127.0.0.1", "0", "192.0.2.99"):
        lines.append(f".D{{client_addr}}{client}")
        for helo in HELOS:
            lines += [f".Ds{helo}", "check_rcpt <joe@mail.example.com>", "check_rcpt <joe@remote.example.org>"]
    lines += _set({"auth_authen": "joe", "client_addr": "10.0.0.200"}) + [".Dsfoo", "check_rcpt <joe@mail.example.com>"]
    lines += _set({"auth_authen": "", "server_name": "friend.example.org", "server_addr": "198.51.100.6"}) + ["authinfo x"]
    lines += _set({"server_name": "nowhere.example", "server_addr": "10.1.1.1"}) + ["authinfo x"]
    return lines
