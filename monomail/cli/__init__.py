"""cli stage of the monomail pipeline."""
