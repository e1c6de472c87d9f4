"""log stage: sendmail's log lines (fields.py) and where they go (writer.py)."""
