"""`python -m notifier`: the same as the `notifier` command."""

import sys

from notifier.console import run

sys.exit(run())
