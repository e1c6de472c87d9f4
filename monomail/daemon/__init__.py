"""daemon stage of the monomail pipeline."""
