"""config stage of the monomail pipeline."""
