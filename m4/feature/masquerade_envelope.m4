dnl  Masquerade the envelope sender as well as the headers.
