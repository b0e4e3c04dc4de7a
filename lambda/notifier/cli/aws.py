"""Where the CLI's AWS comes from: the profile and region (as the AWS CLI finds them), clients that give up
on an endpoint that does not answer, and the table and topic of the deployed stack."""

from __future__ import annotations

import argparse
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ProfileNotFound

from notifier.adapters.regions import region_problem
from notifier.app.settings import TOPIC_ARN_PATTERN


class UsageError(Exception):
    """Bad input from the user, named in the message: exit code 2."""


class CommandFailed(Exception):
    """AWS or the network failed; the message says what and where: exit code 1."""


# An endpoint that accepts connections and never answers is given up on within a minute: three attempts
# (the AWS CLI's standard retry mode) sharing 45 s (under 4 s to connect, 11 s to read each), plus the
# retries' backoff (a few seconds). NOTIFIER_TIMEOUT_SECONDS sets that shared budget.
DEFAULT_TIMEOUT_SECONDS = 45


def client_config(environ: dict[str, str] | None = None) -> Config:
    environ = dict(os.environ) if environ is None else environ
    raw = environ.get("NOTIFIER_TIMEOUT_SECONDS", "").strip()
    try:
        budget = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise UsageError(f"NOTIFIER_TIMEOUT_SECONDS={raw!r} is not a number of seconds") from None
    if not 1 <= budget <= 3600:
        raise UsageError(f"NOTIFIER_TIMEOUT_SECONDS={raw!r} must be from 1 to 3600 seconds")
    attempts = 3
    per_attempt = budget / attempts
    return Config(
        connect_timeout=min(5.0, per_attempt / 4),
        read_timeout=per_attempt * 3 / 4,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )


def valid_region(name: str, where: str, service: str = "dynamodb") -> str:
    """The region, if it is one where the service runs; else a usage error naming it and the likely one."""
    problem = region_problem(name, service)
    if problem:
        raise UsageError(f"{where} {name!r} {problem}")
    return name


def session_for(args: argparse.Namespace) -> boto3.session.Session:
    """The session the AWS CLI would use: --profile, else AWS_PROFILE; --region, else AWS_REGION or
    AWS_DEFAULT_REGION, else the profile's region. Every client it makes gives up on a silent endpoint."""
    try:
        session = boto3.session.Session(profile_name=args.profile or None)
        region, origin = next(
            (
                (value, origin)
                for value, origin in (
                    (args.region, "--region"),
                    (os.environ.get("AWS_REGION", "").strip(), "AWS_REGION"),
                    (os.environ.get("AWS_DEFAULT_REGION", "").strip(), "AWS_DEFAULT_REGION"),
                    (session.region_name, "your profile's region"),
                )
                if value
            ),
            (None, ""),
        )
    except ProfileNotFound as exc:
        name = args.profile or os.environ.get("AWS_PROFILE", "")
        where = "--profile" if args.profile else "AWS_PROFILE"
        raise CommandFailed(f"profile {name!r} not found ({where}): `aws configure list-profiles` lists yours") from exc
    if not region:
        raise CommandFailed(
            "no AWS region: pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set one in your profile"
        )
    valid_region(region, origin)
    session = boto3.session.Session(profile_name=args.profile or None, region_name=region)
    session._session.set_default_client_config(client_config())  # botocore merges it into every client
    return session


def stack_outputs(args: argparse.Namespace, session: boto3.session.Session, wanted: str) -> dict[str, str]:
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise UsageError(
                f"no {wanted}: stack {args.stack!r} does not exist in {session.region_name} "
                f"({_what_to_pass(wanted)}, or --region / --stack to find the stack)"
            ) from None
        raise
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def _what_to_pass(wanted: str) -> str:
    return "pass --table or set TABLE_NAME" if wanted == "table" else "pass --topic ARN or set TOPIC_ARN"


def locate_table(args: argparse.Namespace, session: boto3.session.Session) -> tuple[str, str]:
    """The table's name, and where it came from (for messages that say what to change)."""
    if args.table:
        return args.table.strip(), "--table"
    if os.environ.get("TABLE_NAME", "").strip():
        return os.environ["TABLE_NAME"].strip(), "TABLE_NAME"
    outputs = stack_outputs(args, session, "table")
    if "TableName" not in outputs:
        raise UsageError(f"no table: stack {args.stack!r} has no TableName output (pass --table)")
    return outputs["TableName"], f"the output of stack {args.stack}"


def locate_topic(args: argparse.Namespace, session: boto3.session.Session) -> str:
    if args.topic:
        topic, origin = args.topic.strip(), "--topic"
    elif os.environ.get("TOPIC_ARN", "").strip():
        topic, origin = os.environ["TOPIC_ARN"].strip(), "TOPIC_ARN"
    else:
        outputs = stack_outputs(args, session, "topic")
        if "TopicArn" not in outputs:
            raise UsageError(f"no topic: stack {args.stack!r} has no TopicArn output (pass --topic ARN)")
        topic, origin = outputs["TopicArn"], f"stack {args.stack}"
    if not TOPIC_ARN_PATTERN.fullmatch(topic):
        raise UsageError(f"{origin} {topic!r} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
    return topic
