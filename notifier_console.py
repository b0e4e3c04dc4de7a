"""The `notifier` command's entry point (`notifier` and `python -m notifier`): Ctrl-C is one line and exit 130 from
the first statement the command runs, while everything else is still being imported, in a request, in a retry's
sleep, in a worker thread's wait.

A module of its own, outside the `notifier` package, and importing only what Python has loaded before any script
runs (_signal, os, sys): no import machinery runs before the handler is in place. Were it `notifier.console`,
Python would import the package `notifier` first and then call back into its import machinery to drop that
import's lock; a Ctrl-C landing in that callback raises a KeyboardInterrupt that cannot propagate ("Exception
ignored in: <function _get_module_lock.<locals>.cb>", then a traceback), and the press is lost. Importing this
module is starting the command: it takes Ctrl-C as it is imported.

The handler ends the process at once (os._exit): an interrupted command has nothing to clean up that the protocol
does not already survive (every table write is one conditional request; a notification owed is published by the
next poll), and a KeyboardInterrupt raised in the middle of an import or a library's `except BaseException` would
print a traceback or be swallowed. The demo and the playground, which start servers, take the ordinary
KeyboardInterrupt back (notifier.cli) and clean up.
"""

import _signal  # the interpreter's own, loaded at its start (the `signal` module would import enum first)
import os
import sys

_EXIT_INTERRUPTED = 130  # notifier.cli.options.EXIT_INTERRUPTED, not imported: nothing is imported before this


def _interrupted(_signum: int, _frame: object) -> None:
    # What was printed before (rows of `list`, `track a b c`) is kept; interrupted inside a write, the buffer is
    # in use and there is nothing to add.
    try:  # noqa: SIM105 - not contextlib.suppress: contextlib may not be loaded yet
        sys.stdout.flush()
    except Exception:  # a closed or busy stdout: the line on stderr is what matters
        pass
    if os.isatty(2):  # a progress line (`wait`) may stand on the terminal: the message takes its place
        os.write(2, b"\r\x1b[K")
    os.write(2, b"notifier: interrupted\n")
    os._exit(_EXIT_INTERRUPTED)


_signal.signal(_signal.SIGINT, _interrupted)


def run() -> int:
    """The console script `notifier`."""
    from notifier.cli import main  # noqa: PLC0415 - only once Ctrl-C is answered

    return main()


if __name__ == "__main__":
    sys.exit(run())
