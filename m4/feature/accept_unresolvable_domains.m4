dnl  check_mail does not look the sender domain up (no Kresolve map).
