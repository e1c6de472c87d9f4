dnl  Masquerade subdomains of class M too.
