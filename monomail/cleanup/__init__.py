"""The cleanup stage: from raw message octets to a stored, delivery-ready message."""
