"""Maps: the K lines of a cf as lookups the rule engine can run (sendmail's map.c).

`registry.build_map` turns a MapSpec into a `base.Map`; `Map.lookup` is a rule's
`$( map key $@ args $: default $)`; `hostlookup.HostLookup` canonicalises host
names and lists MX hosts; `makemap` builds the hash and btree files.
"""
