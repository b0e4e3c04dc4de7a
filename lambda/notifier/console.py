"""The `notifier` command's entry point, kept apart from everything it loads so that Ctrl-C is answered the same
way at every moment: from this module's first line, while the CLI and boto3 are still being imported, in a
request, in a retry's sleep, in a worker thread's wait. One line on stderr, exit code 130.

The handler ends the process at once (os._exit): an interrupted command has nothing to clean up that the
protocol does not already survive (every table write is one conditional request; a notification owed is
published by the next poll), and a KeyboardInterrupt raised in the middle of an import or a library's
`except BaseException` would print a traceback or be swallowed. The demo, which starts servers, takes the
ordinary KeyboardInterrupt back and cleans up.
"""

import contextlib
import os
import signal
import sys

_EXIT_INTERRUPTED = 130  # notifier.cli.options.EXIT_INTERRUPTED, not imported: this must run before any import


def _interrupted(_signum: int, _frame: object) -> None:
    # What was printed before (rows of `list`, `track a b c`) is kept; interrupted inside a write, the buffer is
    # in use and there is nothing to add.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os.write(2, b"notifier: interrupted\n")
    os._exit(_EXIT_INTERRUPTED)


def interrupt_with_exceptions() -> None:
    """From here on, Ctrl-C raises KeyboardInterrupt (for commands that must clean up), if `run` had taken it."""
    if signal.getsignal(signal.SIGINT) is _interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def run() -> int:
    """The console script `notifier` and `python -m notifier`."""
    signal.signal(signal.SIGINT, _interrupted)
    from notifier.cli import main  # noqa: PLC0415 - only once Ctrl-C is answered

    return main()


if __name__ == "__main__":
    sys.exit(run())
