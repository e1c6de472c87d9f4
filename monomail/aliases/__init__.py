"""aliases stage of the monomail pipeline."""
