"""Exit codes from <sysexits.h>, as sendmail uses them (scripts test for these numbers)."""

EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_NOUSER = 67
EX_NOHOST = 68
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_OSERR = 71
EX_OSFILE = 72
EX_CANTCREAT = 73
EX_IOERR = 74
EX_TEMPFAIL = 75
EX_PROTOCOL = 76
EX_NOPERM = 77
EX_CONFIG = 78
EX_NOTFOUND = EX_NOHOST  # sendmail's conf.h: a map lookup found nothing (68)

# libsm's sm_sysexmsg: ':' when an errno can explain the status, the SMTP reply, the DSN
# status, then the text sendmail logs as stat= (giveresponse reads these fixed columns)
_SYSEXMSG = {
    EX_USAGE: " 500 5.0.0 Command line usage error",
    EX_DATAERR: " 501 5.6.0 Data format error",
    EX_NOINPUT: ":550 5.3.0 Cannot open input",
    EX_NOUSER: " 550 5.1.1 User unknown",
    EX_NOHOST: " 550 5.1.2 Host unknown",
    EX_UNAVAILABLE: " 554 5.0.0 Service unavailable",
    EX_SOFTWARE: ":554 5.3.0 Internal error",
    EX_OSERR: ":451 4.0.0 Operating system error",
    EX_OSFILE: ":554 5.3.5 System file missing",
    EX_CANTCREAT: ":550 5.0.0 Can't create output",
    EX_IOERR: ":451 4.0.0 I/O error",
    EX_TEMPFAIL: " 450 4.0.0 Deferred",
    EX_PROTOCOL: " 554 5.5.0 Remote protocol error",
    EX_NOPERM: ":550 5.0.0 Insufficient permission",
    EX_CONFIG: " 554 5.3.5 Local configuration error",
}


def sysexmsg(code: int) -> str | None:
    """sendmail's fixed-column message for an exit status, None for an unknown one."""
    return _SYSEXMSG.get(code)
