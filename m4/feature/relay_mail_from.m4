dnl  FEATURE(`relay_mail_from'[, `domain']): relay for senders with a From:
dnl  RELAY entry in the access map.
_MM_NEEDS(`access_db')
_MM_WARN(`FEATURE(relay_mail_from) relays for anyone who claims such a sender')
define(`_MM_RELAY_FROM', `1')
ifelse(defn(`_MM_ARG1'), `domain', `define(`_MM_RELAY_FROM_DOMAIN', `1')')
