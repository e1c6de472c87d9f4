dnl  Access map lookups also try .domain for subdomains.
_MM_NEEDS(`access_db')
ifdef(`_MM_FEAT_relay_hosts_only', `_MM_WARN(`FEATURE(lookupdotdomain) and FEATURE(relay_hosts_only) do not go well together')')
