"""`python -m monomail` is the `monomail` command."""

import sys

from monomail.cli.main import main

sys.exit(main())
