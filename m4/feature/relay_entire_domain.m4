dnl  Relay for all hosts of our domains (class m).
