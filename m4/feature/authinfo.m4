dnl  FEATURE(`authinfo'[, `map spec']): the client's AUTH credentials come from
dnl  their own map (AuthInfo:host entries) instead of the access map.
_MM_KMAP(`authinfo', `authinfo', `')
