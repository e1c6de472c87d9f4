"""rewrite stage of the monomail pipeline."""
