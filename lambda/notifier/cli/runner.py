"""Runs one command and turns every way it can fail into one line on stderr and the documented exit code."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
)

from notifier.cli.aws import CommandFailed, UsageError, session_for
from notifier.cli.commands import COMMANDS
from notifier.cli.options import EXIT_BAD_INPUT, EXIT_ERROR
from notifier.cli.output import Printer
from notifier.observability import logger
from notifier.ports import NotifierError


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    printer = Printer(out, err, json_output=getattr(args, "json", False), quiet=args.quiet)
    try:
        with _logs_to(err, verbose=args.verbose):
            session = session_for(args)
            return COMMANDS[args.command](args, session, printer)
    except UsageError as exc:
        printer.error(str(exc))
        return EXIT_BAD_INPUT
    except CommandFailed as exc:
        printer.error(str(exc))
        return EXIT_ERROR
    except Exception as exc:  # every failure becomes one line (Ctrl-C, a BaseException, is the caller's)
        printer.error(describe_failure(exc))
        return EXIT_ERROR


def describe_failure(exc: BaseException) -> str:
    """One line for a failure, naming the endpoint when the network is what failed."""
    cause = exc
    while isinstance(cause, NotifierError) and cause.__cause__ is not None:
        cause = cause.__cause__  # the store and adapters wrap botocore's error: find what really happened
    if isinstance(cause, ConnectionError | HTTPClientError):  # refused, connect and read timeouts
        endpoint = cause.kwargs.get("endpoint_url", "the AWS endpoint")
        return f"could not reach {endpoint}: {cause} (NOTIFIER_TIMEOUT_SECONDS sets how long the CLI waits)"
    if isinstance(cause, NoCredentialsError):
        return "no AWS credentials found (run `aws configure`, or pass --profile / set AWS_PROFILE)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    if isinstance(exc, NotifierError | BotoCoreError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


@contextmanager
def _logs_to(err: TextIO, verbose: bool) -> Iterator[None]:
    """Powertools' JSON records are for CloudWatch: in a terminal they go to stderr with -v, else nowhere.
    The shared logger is put back afterwards (the CLI's main also runs in-process, in tests and the demo)."""
    handler = logger.registered_handler  # type: ignore[attr-defined]
    stream, handler_level, logger_level = handler.stream, handler.level, logger.log_level
    handler.setStream(err)
    handler.setLevel(logging.NOTSET if verbose else logging.CRITICAL + 1)
    if verbose:
        logger.setLevel("INFO")
    try:
        yield
    finally:
        handler.setStream(stream)
        handler.setLevel(handler_level)
        logger.setLevel(logger_level)
