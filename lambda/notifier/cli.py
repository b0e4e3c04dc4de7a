"""The `notifier` command: watch Personalize jobs from a terminal.

Exit codes: 0 success, 2 bad input (the message names the bad value), 1 any other error, each as one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from notifier import jobs
from notifier.config import Settings
from notifier.discovery import DiscoveryReport, discover, region_of
from notifier.jobs import InvalidJobArn, TrackedJob, parse_iso
from notifier.messages import format_duration, readable_time
from notifier.personalize import PersonalizeJobs
from notifier.ports import MalformedItem, NotifierError
from notifier.runtime import build_poller, build_store
from notifier.store import DynamoJobStore
from notifier.tracking import track

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_STACK = "PersonalizeJobNotifier"


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notifier",
        description="Watch Amazon Personalize jobs and get told when they finish.",
        epilog="The table comes from --table, else $TABLE_NAME, else the deployed stack's outputs.",
    )
    parser.add_argument("--table", help="tracked-jobs table (default: $TABLE_NAME, else the stack's output)")
    parser.add_argument(
        "--stack", default=os.environ.get("NOTIFIER_STACK", DEFAULT_STACK), help="deployed stack name (%(default)s)"
    )
    parser.add_argument("--region", help="AWS region of the stack and table (default: your AWS configuration)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    track_cmd = commands.add_parser("track", help="start watching jobs")
    track_cmd.add_argument("arns", nargs="+", metavar="ARN", help="job ARN(s), e.g. arn:aws:personalize:...")
    track_cmd.add_argument("--no-describe", action="store_true", help="do not ask Personalize for the status now")

    untrack_cmd = commands.add_parser("untrack", help="stop watching jobs (their history is deleted)")
    untrack_cmd.add_argument("arns", nargs="+", metavar="ARN")

    list_cmd = commands.add_parser("list", help="the jobs being watched (--all: finished ones too)")
    list_cmd.add_argument("--all", action="store_true", help="include finished jobs")
    list_cmd.add_argument("--json", action="store_true", help="one JSON document, for scripts")

    show_cmd = commands.add_parser("show", help="one job's status history with times and durations")
    show_cmd.add_argument("arn", metavar="ARN")

    poll_cmd = commands.add_parser("poll", help="run one poll cycle from here (the code the Lambda runs)")
    poll_cmd.add_argument("--topic", help="SNS topic ARN (default: $TOPIC_ARN, else the stack's output)")

    discover_cmd = commands.add_parser("discover", help="track the running jobs Personalize lists")
    scope = discover_cmd.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--dataset",
        action="append",
        metavar="ARN",
        help="jobs under this parent: a dataset, dataset group, solution or solution version (repeatable)",
    )
    scope.add_argument("--all", action="store_true", help="every job in the region(s)")
    discover_cmd.add_argument(
        "--regions", help="comma-separated regions to list (default: the dataset's region, else --region)"
    )

    demo_cmd = commands.add_parser("demo", help="run the whole notifier on an embedded AWS (needs the 'local' extra)")
    demo_cmd.add_argument("--without-cdk", action="store_true", help="create the resources directly, not with cdk")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return _demo(err, with_cdk=not args.without_cdk)
    try:
        session = boto3.session.Session(region_name=args.region) if args.region else boto3.session.Session()
        return COMMANDS[args.command](args, session, out, err)
    except UsageError as exc:
        print(f"notifier: {exc}", file=err)
        return EXIT_BAD_INPUT
    except NoCredentialsError:
        print("notifier: no AWS credentials found (run `aws configure` or set AWS_PROFILE)", file=err)
        return EXIT_ERROR
    except NoRegionError:
        print("notifier: no AWS region configured (pass --region or set AWS_REGION)", file=err)
        return EXIT_ERROR
    except (NotifierError, BotoCoreError) as exc:
        print(f"notifier: {exc}", file=err)
        return EXIT_ERROR
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"notifier: {error.get('Code')}: {error.get('Message')}", file=err)
        return EXIT_ERROR


# --- where the table and topic are ---


def stack_outputs(args: argparse.Namespace, session: boto3.session.Session) -> dict[str, str]:
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise UsageError(
                f"stack {args.stack!r} not found in {session.region_name}: pass --table, set TABLE_NAME, "
                "or name the stack with --stack"
            ) from None
        raise
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def table_name(args: argparse.Namespace, session: boto3.session.Session) -> str:
    name = args.table or os.environ.get("TABLE_NAME", "").strip()
    if name:
        return name
    outputs = stack_outputs(args, session)
    if "TableName" not in outputs:
        raise UsageError(f"stack {args.stack!r} has no TableName output: pass --table")
    return outputs["TableName"]


def _store(args: argparse.Namespace, session: boto3.session.Session) -> DynamoJobStore:
    return build_store(table_name(args, session), session)


def _valid_arns(arns: Sequence[str], err: TextIO) -> tuple[list[str], int]:
    good, bad = [], 0
    for arn in arns:
        try:
            jobs.parse_job_arn(arn)
            good.append(arn)
        except InvalidJobArn as exc:
            bad += 1
            print(f"notifier: {exc}", file=err)
    return good, bad


# --- commands ---


def _track(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    good, bad = _valid_arns(args.arns, err)
    store = _store(args, session)
    describer = None if args.no_describe else PersonalizeJobs(session)
    for arn in good:
        result = track(arn, store, describer)
        if result.outcome == "already_tracked":
            print(f"already tracked  {arn}", file=out)
        else:
            status = result.job.status if result.job and result.job.status else "status not known yet"
            suffix = f"; {result.message}" if result.message else ""
            print(f"tracking  {arn}  ({status}{suffix})", file=out)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _untrack(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    good, bad = _valid_arns(args.arns, err)
    store = _store(args, session)
    for arn in good:
        print(f"{'untracked' if store.delete(arn) else 'not tracked'}  {arn}", file=out)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _list(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    store = _store(args, session)
    entries = list(store.all_jobs() if args.all else store.active_jobs())
    listed = sorted((e for e in entries if isinstance(e, TrackedJob)), key=lambda job: job.tracked_at)
    for broken in (e for e in entries if isinstance(e, MalformedItem)):
        print(f"notifier: skipped a malformed item {broken.key}: {broken.reason}", file=err)
    if args.json:
        print(json.dumps([_job_document(job) for job in listed], indent=2), file=out)
        return EXIT_OK
    if not listed:
        print("No jobs are being watched." if not args.all else "No jobs are tracked.", file=out)
        return EXIT_OK
    rows = [("JOB", "KIND", "STATUS", "REGION", "UPDATED", "ARN")]
    rows += [
        (
            job.name,
            job.kind.name,
            _status_text(job),
            job.region,
            readable_time(job.history[-1].at if job.history else job.tracked_at),
            job.arn,
        )
        for job in listed
    ]
    print(_table(rows), file=out)
    return EXIT_OK


def _show(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    good, bad = _valid_arns([args.arn], err)
    if bad:
        return EXIT_BAD_INPUT
    found = _store(args, session).get(good[0])
    if found is None:
        print(f"notifier: {args.arn} is not tracked (track it with `notifier track {args.arn}`)", file=err)
        return EXIT_ERROR
    if isinstance(found, MalformedItem):
        print(f"notifier: the table item for {found.key} is malformed: {found.reason}", file=err)
        return EXIT_ERROR
    print(render_show(found), file=out)
    return EXIT_OK


def render_show(job: TrackedJob) -> str:
    rows: list[tuple[str, str]] = [("ARN", job.arn)]
    if job.parent_arn:
        rows.append((job.kind.parent_label, job.parent_arn))
    if job.input_location:
        rows.append(("Input", job.input_location))
    rows += list(job.facts)
    rows.append(("Status", _status_text(job)))
    if job.output_path:
        rows.append(("Output" if job.outcome.value == "succeeded" else "Destination", job.output_path))
    if job.failure_reason:
        rows.append(("Failure", job.failure_reason))
    rows.append(("Tracked", readable_time(job.tracked_at)))
    if job.pending:
        rows.append(("Owed", f"{len(job.pending)} notification(s) not yet confirmed published"))
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{job.name}  ({job.kind.label}, {job.region})"]
    lines += [f"{label:<{width}}{value}" for label, value in rows]
    lines.append("History")
    previous: datetime | None = None
    for change in job.history:
        moment = parse_iso(change.at)
        since = f"  (+{format_duration((moment - previous).total_seconds())})" if previous and moment else ""
        lines.append(f"  {readable_time(change.at)}  {change.status}{since}")
        previous = moment or previous
    if not job.history:
        lines.append("  (not described yet)")
    return "\n".join(lines)


def _poll(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    topic = args.topic or os.environ.get("TOPIC_ARN", "").strip() or stack_outputs(args, session).get("TopicArn")
    if not topic:
        raise UsageError("no topic given: pass --topic ARN or set TOPIC_ARN")
    # The Lambda's other settings (EVENT_BUS_NAME, STUCK_AFTER_MINUTES, ...) apply here too when set.
    settings = Settings.from_env({**os.environ, "TABLE_NAME": table_name(args, session), "TOPIC_ARN": topic})
    report = build_poller(settings, session).poll()
    for notification in report.published:
        print(f"notified  {notification.subject}", file=out)
    print(
        f"polled {report.jobs_polled} job(s): {report.transitions} transition(s), "
        f"{report.notifications_published} notification(s) published, {report.describe_errors} describe error(s), "
        f"{report.publish_errors} publish error(s)",
        file=out,
    )
    return EXIT_ERROR if report.publish_errors or report.store_errors else EXIT_OK


def _discover(args: argparse.Namespace, session: boto3.session.Session, out: TextIO, err: TextIO) -> int:
    datasets: list[str | None] = list(args.dataset or [None])
    regions = [r.strip() for r in (args.regions or "").split(",") if r.strip()]
    if not regions:
        regions = sorted({region for arn in datasets if arn and (region := region_of(arn))}) or [session.region_name]
    store = _store(args, session)

    def progress(report: DiscoveryReport) -> None:
        print(f"  listed {report.listed} job(s), {len(report.tracked)} newly tracked...", file=err, flush=True)

    report = discover(PersonalizeJobs(session), store, regions=regions, parent_arns=datasets, progress=progress)
    for arn in report.tracked:
        print(f"tracking  {arn}", file=out)
    for error in report.errors:
        print(f"notifier: listing failed: {error}", file=err)
    print(
        f"listed {report.listed} job(s) in {', '.join(regions)}: {len(report.tracked)} newly tracked, "
        f"{report.already_tracked} already tracked, {report.finished} already finished",
        file=out,
    )
    return EXIT_ERROR if report.errors else EXIT_OK


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


COMMANDS: dict[str, Any] = {
    "track": _track,
    "untrack": _untrack,
    "list": _list,
    "show": _show,
    "poll": _poll,
    "discover": _discover,
}


# --- formatting ---


def _status_text(job: TrackedJob) -> str:
    if job.ended_by is not None:
        return f"{job.status or 'never seen'} ({job.ended_by.value})"
    return job.status or "not described yet"


def _job_document(job: TrackedJob) -> dict[str, Any]:
    return {
        "jobArn": job.arn,
        "jobName": job.name,
        "jobKind": job.kind.name,
        "region": job.region,
        "status": job.status,
        "outcome": job.ended_by.value if job.ended_by else job.outcome.value,
        "watching": job.in_active_index,
        "trackedAt": job.tracked_at,
        "history": [{"status": change.status, "at": change.at} for change in job.history],
        "outputPath": job.output_path,
        "failureReason": job.failure_reason,
        "pendingNotifications": len(job.pending),
    }


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )
