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
    demo_cmd = commands.add_parser(
        "demo",
        help="run the whole notifier on an embedded AWS (needs the 'local' extra)",
        description="Start an embedded AWS, deploy, track jobs, poll, and show what subscribers receive.",
    )
    demo_cmd.add_argument(
        "--without-cdk", action="store_true", help="create the resources directly instead of with the CDK CLI"
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(err, with_cdk=not args.without_cdk)
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


def _demo(err: TextIO, with_cdk: bool) -> int:
    try:
        from notifier_local import demo  # noqa: PLC0415 - an optional extra, loaded only for this command
    except ImportError as exc:
        print(
            f"notifier: the demo needs the 'local' extra ({exc}): pip install 'personalize-job-notifier[local]'",
            file=err,
        )
        return EXIT_ERROR
    try:
        return demo.run(with_cdk=with_cdk)
    except KeyboardInterrupt:
        print("notifier: demo interrupted; the embedded AWS is stopped", file=err)
        return 130


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
