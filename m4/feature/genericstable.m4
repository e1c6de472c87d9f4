dnl  FEATURE(`genericstable'[, `map spec']): rewrite sender addresses of the
dnl  domains in class G (GENERICS_DOMAIN) through a map.
_MM_KMAP(`generics', `genericstable')
