dnl  Old name of blocklist_recipients.
_MM_WARN(`FEATURE(blacklist_recipients) is an old name; use FEATURE(blocklist_recipients)')
_MM_NEEDS(`access_db')
define(`_MM_FEAT_blocklist_recipients', `')
