"""`python -m notifier`: the same as the `notifier` command."""

import sys

from notifier.cli import main

sys.exit(main())
