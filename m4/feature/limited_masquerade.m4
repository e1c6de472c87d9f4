dnl  Masquerade only the domains of class M, not all of class w.
