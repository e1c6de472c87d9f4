dnl  Relay to domains whose MX points at us.
divert(6)dnl
Kmxserved bestmx -z: -T<TEMP>
divert(-1)
