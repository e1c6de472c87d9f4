"""maps stage of the monomail pipeline."""
