dnl  Relay when the envelope sender is local.  Anyone can claim that.
_MM_WARN(`FEATURE(relay_local_from) relays for anyone who claims a local sender')
define(`_MM_RELAY_FROM', `1')
