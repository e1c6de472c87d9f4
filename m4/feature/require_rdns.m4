dnl  check_relay refuses clients whose address has no name that maps back to
dnl  it (${client_resolve}), unless class R holds the address.
