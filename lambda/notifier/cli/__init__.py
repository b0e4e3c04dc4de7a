"""The `notifier` command: watch Personalize jobs from a terminal.

Exit codes: 0 success; 1 AWS or the network failed; 2 bad input, named in the message; 130 interrupted.
Every error is one line on stderr, never a traceback. Help and --version never touch AWS: nothing that
builds a client is imported until a command runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from notifier.cli.options import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, build_parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        return _main(argv, out, err)
    except KeyboardInterrupt:
        print("notifier: interrupted", file=err)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return EXIT_OK
    if args.command in ("demo", "local"):
        # They start servers and a CDK deploy: Ctrl-C is a KeyboardInterrupt again, so they are cleaned up.
        interrupt_with_exceptions()
        return _embedded(args, err)
    # Outside Lambda there is no X-Ray daemon to trace to; and Powertools' records go to stderr (-v) or nowhere.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415 - only once a command runs

    try:
        # Loading the package builds the X-Ray SDK's client, which reads AWS_PROFILE.
        from notifier.cli.runner import run_command  # noqa: PLC0415 - boto3 and the rest, once a command runs
    except ProfileNotFound as exc:
        print(
            f"notifier: profile {exc.kwargs.get('profile')!r} not found (AWS_PROFILE): "
            "`aws configure list-profiles` lists yours",
            file=err,
        )
        return EXIT_ERROR
    return run_command(args, out, err)


def interrupt_with_exceptions() -> None:
    """From here on Ctrl-C raises KeyboardInterrupt (the command's entry point ends the process at once instead), so
    that what the demo and the playground started is stopped."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _embedded(args: argparse.Namespace, err: TextIO) -> int:
    """`demo` and `local`: the notifier on an embedded AWS, from the optional `local` extra."""
    what = "the demo" if args.command == "demo" else "the playground"
    try:
        from notifier_local import demo, playground  # noqa: PLC0415 - an optional extra, loaded only here
    except ModuleNotFoundError as exc:
        make = "make demo" if args.command == "demo" else "make playground"
        print(
            f"notifier: {what} needs the embedded AWS (moto), which is not installed ({exc}). In a clone of the "
            f"repository, run `{make}`; or there `pip install '.[local]'` and then `notifier {args.command}`",
            file=err,
        )
        return EXIT_ERROR
    except ImportError as exc:  # installed, but not a moto the embedded AWS knows (notifier_local.moto_internals)
        print(f"notifier: {what} cannot start: {exc}", file=err)
        return EXIT_ERROR
    from notifier_local.cdk_cli import DeployFailed  # noqa: PLC0415 - the optional extra, as above
    from notifier_local.server import PortInUse  # noqa: PLC0415 - the optional extra, as above

    try:
        if args.command == "demo":
            return demo.run(with_cdk=not args.without_cdk)
        return playground.run(with_cdk=not args.without_cdk, port=args.port, schedule=not args.no_schedule)
    except DeployFailed as exc:  # e.g. a clone without `npm ci`: the message says what to run
        print(f"notifier: {what} could not deploy: {exc}", file=err)
        return EXIT_ERROR
    except PortInUse as exc:
        print(f"notifier: {what} cannot start: {exc}", file=err)
        return EXIT_ERROR
