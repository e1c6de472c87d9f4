"""queue stage of the monomail pipeline."""
