dnl  FEATURE(`access_db'[, `map spec'[, `skip' | `lookupdotdomain' |
dnl  `relaytofulladdress' ...]]): the access map of check_relay, check_mail,
dnl  check_rcpt and the TLS rulesets.  A spec without -T<TMPF> gets it.
define(`_MM_ACCESS_OPTS', _MM_LOWER(` 'defn(`_MM_ARG2')` 'defn(`_MM_ARG3')` 'defn(`_MM_ARG4')` '))
ifelse(index(defn(`_MM_ACCESS_OPTS'), ` skip '), `-1', `', `define(`_MM_ACCESS_SKIP', `1')')
ifelse(index(defn(`_MM_ACCESS_OPTS'), ` lookupdotdomain '), `-1', `', `define(`_MM_FEAT_lookupdotdomain', `')')
ifelse(index(defn(`_MM_ACCESS_OPTS'), ` relaytofulladdress '), `-1', `', `define(`_MM_RELAY_FULL_ADDR', `1')')
ifelse(defn(`_MM_ARG1'), `', `',
	index(defn(`_MM_ARG1'), `sequence '), `0', `',
	index(defn(`_MM_ARG1'), `-T<TMPF>'), `-1', `_MM_WARN(`the access_db map spec lacks -T<TMPF>; added')define(`_MM_ARG1', substr(defn(`_MM_ARG1'), 0, index(defn(`_MM_ARG1'), ` '))` -T<TMPF>'substr(defn(`_MM_ARG1'), index(defn(`_MM_ARG1'), ` ')))')
ifdef(`_MM_FEAT_greet_pause', `_MM_WARN(`FEATURE(greet_pause) came before FEATURE(access_db): it will not read the access map')')
_MM_KMAP(`access', `access', `-T<TMPF> ')
