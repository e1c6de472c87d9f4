"""log stage of the monomail pipeline."""
