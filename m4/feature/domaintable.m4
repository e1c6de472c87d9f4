dnl  FEATURE(`domaintable'[, `map spec']): rename domains in Canonify2.
_MM_KMAP(`domaintable', `domaintable')
