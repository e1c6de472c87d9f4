dnl  Senders without a domain are accepted from remote clients too.
