dnl  check_rcpt refuses clients that greet with one of our names or with a name
dnl  without a dot, unless they authenticated or connect from class R.  The
dnl  loopback addresses join classes R and w.
RELAY_DOMAIN(`127.0.0.1 IPv6:0:0:0:0:0:0:0:1 IPv6:::1')
LOCAL_DOMAIN(`[127.0.0.1] [IPv6:0:0:0:0:0:0:0:1] [IPv6:::1]')
