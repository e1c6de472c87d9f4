dnl  Read our host names (class w) from confCW_FILE.
