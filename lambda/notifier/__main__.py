"""`python -m notifier`: the same as the `notifier` command."""

import sys

from notifier_console import run  # takes Ctrl-C as it is imported

sys.exit(run())
