"""smtpd stage of the monomail pipeline."""
