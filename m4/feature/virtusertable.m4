dnl  FEATURE(`virtusertable'[, `map spec']): map user@virtual.domain to
dnl  other addresses.
_MM_KMAP(`virtuser', `virtusertable')
