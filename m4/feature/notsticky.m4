dnl  The old default; does nothing.
