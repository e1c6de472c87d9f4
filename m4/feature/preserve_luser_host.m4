dnl  Keep the host part when mail goes to LUSER_RELAY.
ifdef(`LUSER_RELAY', `', `_MM_WARN(`define LUSER_RELAY before FEATURE(preserve_luser_host)')')
