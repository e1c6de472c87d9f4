dnl  Read trusted users from confCT_FILE.
