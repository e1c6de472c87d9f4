"""deliver stage of the monomail pipeline."""
