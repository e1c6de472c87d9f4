"""dsn stage of the monomail pipeline."""
