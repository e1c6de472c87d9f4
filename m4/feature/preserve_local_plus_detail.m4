dnl  Keep +detail on local names for the local mailer.
