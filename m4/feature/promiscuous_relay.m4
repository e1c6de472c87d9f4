dnl  Relay for everyone.  Never on a host the Internet can reach.
_MM_WARN(`FEATURE(promiscuous_relay) makes this an open relay')
