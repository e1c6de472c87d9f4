dnl  Class R and access entries name hosts, not domains.
