dnl  user@ourhost goes to MAIL_HUB like user does not: the host sticks.
