"""The `notifier` command: put Personalize jobs under watch from a terminal.

Exit codes: 0 success, 2 bad input (the message names the bad value), 1 any other error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import boto3
from botocore.exceptions import BotoCoreError, NoCredentialsError

from notifier.personalize import PersonalizeJobs
from notifier.ports import NotifierError
from notifier.runtime import build_store
from notifier.tracking import track

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notifier",
        description="Watch Amazon Personalize jobs and get told when they finish.",
    )
    parser.add_argument("--table", help="tracked-jobs table (default: $TABLE_NAME)")
    parser.add_argument("--region", help="AWS region of the table (default: your AWS configuration)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    track_cmd = commands.add_parser("track", help="start watching jobs", description="Start watching jobs.")
    track_cmd.add_argument("arns", nargs="+", metavar="ARN", help="job ARN(s), e.g. arn:aws:personalize:...")
    track_cmd.add_argument(
        "--no-describe", action="store_true", help="do not ask Personalize for the current status now"
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        session = boto3.session.Session(region_name=args.region) if args.region else boto3.session.Session()
        return _track(args, session, out, err)
    except UsageError as exc:
        print(f"notifier: {exc}", file=err)
        return EXIT_BAD_INPUT
    except NoCredentialsError:
        print("notifier: no AWS credentials found (configure a profile or set AWS_PROFILE)", file=err)
        return EXIT_ERROR
    except (NotifierError, BotoCoreError) as exc:
        print(f"notifier: {exc}", file=err)
        return EXIT_ERROR


def table_name(args: argparse.Namespace) -> str:
    name = args.table or os.environ.get("TABLE_NAME", "").strip()
    if not name:
        raise UsageError("no table given: pass --table NAME or set TABLE_NAME")
    return name


def _track(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    store = build_store(table_name(args), session)
    describer = None if args.no_describe else PersonalizeJobs(session)
    bad = 0
    for arn in args.arns:
        result = track(arn, store, describer)
        if result.outcome == "invalid":
            bad += 1
            print(f"notifier: {result.message}", file=err)
        elif result.outcome == "already_tracked":
            print(f"already tracked  {arn}", file=out)
        else:
            status = result.job.status if result.job and result.job.status else "status not known yet"
            suffix = f"; {result.message}" if result.message else ""
            print(f"tracking  {arn}  ({status}{suffix})", file=out)
    return EXIT_BAD_INPUT if bad else EXIT_OK
