dnl  No default submission port 587 listener.
