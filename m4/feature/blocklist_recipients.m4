dnl  To: entries of the access map reject recipients.
_MM_NEEDS(`access_db')
