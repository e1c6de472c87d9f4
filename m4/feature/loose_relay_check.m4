dnl  Check relaying on the canonical address without stripping %-hack hops.
