"""The CLI's commands: each takes the parsed arguments, a session and a printer, and returns an exit code."""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.publisher import EventBridgePublisher
from notifier.adapters.regions import known_regions
from notifier.adapters.store import DynamoWatchStore, build_store
from notifier.adapters.usage import CloudWatchRequests
from notifier.app.compose import build_poller
from notifier.app.settings import ConfigError, Settings
from notifier.app.waiting import wait_source
from notifier.cli.aws import (
    CommandFailed,
    UsageError,
    client_config,
    locate_table,
    locate_topic,
    stack_outputs,
    valid_region,
)
from notifier.cli.options import (
    DEFAULT_STACK,
    EVERY_EXAMPLES,
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    EXIT_NOT_FOUND_OUT,
    EXIT_OK,
    EXIT_TIMED_OUT,
    TIMEOUT_EXAMPLES,
    WEBHOOK_TARGET_NAMES,
    WINDOW_EXAMPLES,
)
from notifier.cli.output import (
    Printer,
    camel_case,
    expectation_document,
    expectation_rows,
    expectation_table,
    job_document,
    job_table,
    render_show,
    status_text,
    usage_document,
    usage_table,
)
from notifier.cli.progress import ProgressLine
from notifier.domain.arns import PARENT_KINDS, InvalidArn, account_of, is_parent_arn, parse_arn, region_of
from notifier.domain.cadence import Expectation, NotExpectable, expect, parse_duration, target_of
from notifier.domain.clock import utc_now
from notifier.domain.kinds import api_name
from notifier.domain.reachability import AccountMark
from notifier.domain.usage import LONGEST_WINDOW_HOURS, Reading, UsageRule, judge, reading_of
from notifier.domain.watched import Watched, iso, start_watching
from notifier.ports import (
    MalformedItem,
    NotifierError,
    PublishFailed,
    ResourceNotFound,
    StaleVersion,
    TableNotFound,
)
from notifier.rendering.checking import render_test_notice
from notifier.rendering.text import readable_time
from notifier.rendering.webhooks import SERVICES
from notifier.usecases.discovery import DiscoveryReport, discover
from notifier.usecases.poll.usage import active_since, minimum_of, read_requests
from notifier.usecases.tracking import track
from notifier.usecases.waiting import Describing, NotKnown, ReadingTable, Settled, WaitTimedOut, wait_on

Command = Callable[[argparse.Namespace, boto3.session.Session, Printer], int]
LONGEST_WINDOW = timedelta(hours=LONGEST_WINDOW_HOURS)


class _Table:
    """The store, with a missing table named as such: which name, from where, what to try."""

    def __init__(self, args: argparse.Namespace, session: boto3.session.Session) -> None:
        self._args, self._session = args, session
        self._found: tuple[str, str, DynamoWatchStore] | None = None

    def _find(self) -> tuple[str, str, DynamoWatchStore]:
        """On first use, so bad input is named before anything asks AWS where the table is."""
        if self._found is None:
            name, origin = locate_table(self._args, self._session)
            self._found = (name, origin, build_store(name, self._session))
        return self._found

    @property
    def name(self) -> str:
        return self._find()[0]

    @property
    def store(self) -> DynamoWatchStore:
        return self._find()[2]

    def not_found(self) -> UsageError:
        name, origin, _ = self._find()
        return UsageError(
            f"table {name!r} (from {origin}) does not exist in {self._session.region_name}: "
            "check --region, or pass the table the stack printed with --table"
        )


def _with_table(command: Callable[[argparse.Namespace, _Table, boto3.session.Session, Printer], int]) -> Command:
    def run(args: argparse.Namespace, session: boto3.session.Session, printer: Printer) -> int:
        table = _Table(args, session)
        try:
            return command(args, table, session, printer)
        except TableNotFound:
            raise table.not_found() from None

    return run


def _parse_arns(arns: Sequence[str], printer: Printer) -> tuple[list[str], int]:
    """The ARNs that are well formed (surrounding white space trimmed); each bad one named on stderr."""
    good, bad = [], 0
    for raw in arns:
        arn = raw.strip()
        try:
            parse_arn(arn)
            good.append(arn)
        except InvalidArn as exc:
            bad += 1
            printer.error(str(InvalidArn(raw, exc.why)))  # named as typed
    return good, bad


def _in_personalize_regions(arns: list[str], printer: Printer) -> list[str]:
    """The ARNs in regions Personalize runs in; one in another (a typo such as us-esat-1) is named and refused,
    not tracked forever."""
    kept = []
    for arn in arns:
        parsed = parse_arn(arn)
        known = known_regions("personalize", parsed.partition)
        if known and parsed.region not in known:
            printer.error(
                f"not tracked: {arn}: Personalize does not run in region {parsed.region!r} (botocore knows "
                f"{', '.join(known)}; `--no-describe` tracks it anyway)"
            )
        else:
            kept.append(arn)
    return kept


@_with_table
def track_jobs(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    good, bad = _parse_arns(args.arns, printer)
    describer = None if args.no_describe else PersonalizeResources(session, config=client_config())
    if describer is not None:
        in_regions = _in_personalize_regions(good, printer)
        good, bad = in_regions, bad + len(good) - len(in_regions)
    results = []
    for arn in good:
        result = track(arn, table.store, describer, refuse_unknown=not args.no_describe)
        results.append(result)
        if result.outcome == "unknown":
            bad += 1
            printer.error(
                f"not tracked: {arn}: {result.message}. Check its region, account and name "
                "(`--no-describe` tracks it anyway)"
            )
        elif result.outcome == "already_tracked":
            printer.line(f"already tracked  {arn}")
        else:
            status = result.job.status if result.job and result.job.status else "status not known yet"
            printer.line(f"tracking  {arn}  ({status}{f'; {result.message}' if result.message else ''})")
            if result.job and result.describe_error in ("AccessDeniedException", "AccessDenied"):
                printer.warn(_refused_describe(result.job, session))
    printer.document(
        "track",
        results=[
            {
                "jobArn": r.arn,
                "outcome": r.outcome,
                "status": r.job.status if r.job else None,
                "message": r.message or None,
            }
            for r in results
        ],
    )
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _refused_describe(job: Watched, session: boto3.session.Session) -> str:
    """Why a job was tracked without its status: this identity's permissions, or another account's job, which
    only the notifier's functions read (through the reader role of a stack deployed with organizationId)."""
    account = account_of(job.arn)
    try:
        mine: str | None = session.client("sts", config=client_config()).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError):
        mine = None
    if account != mine:
        return (
            f"tracked without a status: {job.arn} is account {account}'s, which your identity cannot read; a "
            "stack deployed with organizationId reads it through its reader role in that account (the member "
            "stack's), and tells each change"
        )
    action = f"personalize:{api_name(job.kind.describe_operation)}"
    return f"tracked without a status: your identity may not call {action} on {job.arn}"


@_with_table
def untrack_jobs(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    good, bad = _parse_arns(args.arns, printer)
    results = []
    for arn in good:
        waiting = table.store.delete(arn)
        deleted = waiting is not None
        results.append({"jobArn": arn, "outcome": "untracked" if deleted else "not_tracked"})
        if waiting:
            printer.warn(f"{waiting} Step Functions task(s) waited on {arn}: they now wait until their own timeout")
        if deleted:
            printer.line(f"untracked  {arn}")
        else:  # as `show` says it: nothing was there to untrack
            bad += 1
            printer.error(f"{arn} is not tracked in table {table.name!r} (`notifier list --all` lists what is)")
    printer.document("untrack", results=results)
    return EXIT_BAD_INPUT if bad else EXIT_OK


@_with_table
def list_summaries(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    # Without --all: what is under way, and the campaigns and recommenders at rest that bill while ACTIVE.
    entries = list(
        table.store.all_records() if args.all else [*table.store.active_records(), *table.store.serving_records()]
    )
    listed = sorted((e for e in entries if isinstance(e, Watched)), key=lambda job: job.tracked_at)
    for broken in (e for e in entries if isinstance(e, MalformedItem)):
        printer.warn(f"skipped a malformed item {broken.key}: {broken.reason}")
    unreachable = [e for e in entries if isinstance(e, AccountMark)]
    expected = sorted((e for e in entries if isinstance(e, Expectation)), key=lambda e: e.due_at)
    for mark in unreachable:
        printer.warn(
            f"account {mark.account} cannot be read since {readable_time(mark.since)} (role {mark.role_arn}): "
            f"{mark.reason}"
        )
    printer.document(
        "list",
        table=table.name,
        jobs=[job_document(job) for job in listed],
        unreachableAccounts=[
            {"account": m.account, "roleArn": m.role_arn, "since": m.since, "reason": m.reason} for m in unreachable
        ],
        expectations=[expectation_document(e) for e in expected],
    )
    if not listed:
        printer.line("No jobs are being watched." if not args.all else "No jobs are tracked.")
    else:
        printer.line(job_table(listed, wide=args.wide))
    if expected:
        printer.line("\nExpected cadences\n" + expectation_table(expected))
    return EXIT_OK


@_with_table
def show_job(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    good, bad = _parse_arns([args.arn], printer) if not _expectable(args.arn) else ([args.arn.strip()], 0)
    if bad:
        return EXIT_BAD_INPUT
    found = table.store.get(good[0])
    expectation = table.store.expectation(good[0])
    if found is None and not isinstance(expectation, Expectation):
        raise UsageError(f"{good[0]} is not tracked in table {table.name!r} (track it with `notifier track ARN`)")
    if isinstance(found, MalformedItem):
        raise CommandFailed(f"the table item for {found.key} is malformed: {found.reason}")
    expected = expectation if isinstance(expectation, Expectation) else None
    printer.document(
        "show",
        job={**job_document(found), "statusText": status_text(found)} if found else None,
        expectation=expectation_document(expected) if expected else None,
    )
    lines = [render_show(found)] if found else [good[0]]
    if expected:
        lines += [f"{label + ':':<11} {value}" for label, value in expectation_rows(expected)]
    printer.line("\n".join(lines))
    return EXIT_OK


@_with_table
def usage_report(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    """Every ACTIVE campaign and recommender watched (or one ARN, described if it is not): its requests over the
    window, read from CloudWatch now, against its provisioned minimum."""
    try:
        window = parse_duration(args.window, (timedelta(hours=1), LONGEST_WINDOW), examples=WINDOW_EXAMPLES)
    except NotExpectable as exc:
        raise UsageError(f"--window: {exc}") from None
    if window.total_seconds() % 3600:
        raise UsageError(f"--window: {args.window!r} is not a whole number of hours (like {WINDOW_EXAMPLES})")
    hours = int(window.total_seconds() // 3600)
    records = _serving(args, table, session, printer)
    if records is None:
        return EXIT_BAD_INPUT
    now = utc_now()
    # Personalize counts a member account's requests in that account's CloudWatch, which this identity does not
    # read: such a resource is shown unreadable, never idle on the zero another account's metrics would give.
    here = _caller_account(session)
    elsewhere = [record for record in records if account_of(record.arn) != here]
    readings = read_requests(
        CloudWatchRequests(session, config=client_config()), [r for r in records if r not in elsewhere], now, hours
    )
    readings += [(record, _in_its_own_account(record, now, hours)) for record in elsewhere]
    rule = UsageRule(idle_hours=hours)
    rows = [(record, reading, judge(reading, rule)) for record, reading in readings]
    printer.document("usage", windowHours=hours, readAt=iso(now), resources=[usage_document(*row) for row in rows])
    if not rows:
        printer.line("No ACTIVE campaign or recommender is watched (`notifier track ARN` adds one).")
    else:
        printer.line(usage_table(rows))
    for record, reading, _ in rows:
        if reading.unreadable:
            printer.warn(f"the requests of {record.arn} could not be read: {reading.unreadable}")
    failed = [reading for record, reading, _ in rows if reading.unreadable and record not in elsewhere]
    return EXIT_ERROR if failed else EXIT_OK


def _caller_account(session: boto3.session.Session) -> str:
    try:
        return str(session.client("sts", config=client_config()).get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise CommandFailed(f"could not tell which account this identity is in (GetCallerIdentity): {exc}") from None


def _in_its_own_account(record: Watched, now: datetime, hours: int) -> Reading:
    account = account_of(record.arn)
    return reading_of(
        None,
        now=now,
        active_since=active_since(record),
        minimum=minimum_of(record),
        window_hours=hours,
        unreadable=f"its requests are in account {account}'s CloudWatch: run notifier usage there (a profile of it)",
    )


def _serving(
    args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer
) -> list[Watched] | None:
    """What `usage` reads: one ARN (its record, else what Personalize says of it now), or every billing record."""
    if args.arn is None:
        entries = [*table.store.serving_records(), *table.store.active_records()]
        return sorted({e.arn: e for e in entries if isinstance(e, Watched) and e.bills}.values(), key=lambda r: r.name)
    good, bad = _parse_arns([args.arn], printer)
    if bad:
        return None
    parsed = parse_arn(good[0])
    if not parsed.kind.serves:
        raise UsageError(f"{good[0]} is a {parsed.kind.label.lower()}: usage is read of campaigns and recommenders")
    found = table.store.get(good[0])
    if isinstance(found, Watched):
        record = found
    else:
        personalize = PersonalizeResources(session, config=client_config())
        try:
            snapshot = personalize.describe_arn(good[0])
        except ResourceNotFound as exc:
            raise UsageError(f"{good[0]} does not exist in Personalize ({exc})") from None
        except NotifierError as exc:
            raise CommandFailed(str(exc)) from None
        record = start_watching(parsed, utc_now(), snapshot)
    if not record.bills:
        printer.warn(f"{record.arn} is {record.status or 'not described yet'}: it bills only while ACTIVE")
        return []
    return [record]


@_with_table
def expect_cadence(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    arn = args.arn.strip()
    try:
        target = target_of(arn)
    except NotExpectable as exc:
        raise UsageError(str(exc) if args.clear or args.every else f"{exc}; give --every DURATION or --clear") from None
    try:
        every = None if args.clear else parse_duration(args.every or "", examples=EVERY_EXAMPLES)
    except NotExpectable as exc:
        raise UsageError(f"--every: {exc}") from None
    if every is not None:  # as `track` does: what Personalize does not know is refused, nothing written
        missing = PersonalizeResources(session, config=client_config()).missing(arn)
        if missing is not None:
            raise UsageError(f"{target.value.replace('-', ' ')} {arn} does not exist in Personalize ({missing})")
    if every is None:
        removed = table.store.delete_expectation(arn)
        if not removed:
            raise UsageError(f"no cadence is expected of {arn} in table {table.name!r}")
        printer.line(f"no longer expecting anything of {arn}")
        printer.document("expect", arn=arn, expectation=None, cleared=True)
        return EXIT_OK
    current = table.store.expectation(arn)
    kept = current if isinstance(current, Expectation) else None
    if kept is not None and kept.declared:
        raise UsageError(f"the cadence of {arn} is declared at deploy time (-c expectations): change it there")
    if kept is not None:  # set again: the new period, and all it has seen and told kept
        made = replace(kept, version=kept.version + 1, every_seconds=int(every.total_seconds()))
    else:
        made = expect(arn, every, utc_now())
        try:  # one look, so `show` has a last satisfaction from the start
            looked = PersonalizeResources(session, config=client_config()).last_met(target_of(arn), arn)
        except NotifierError as exc:
            looked = None
            printer.warn(f"could not look up when it was last met ({exc}); the poll looks when it falls due")
        if looked:
            made = replace(made, last_met=looked[0], last_met_by=looked[1])
    try:
        table.store.save_expectation(made, kept.version if kept else None)
    except StaleVersion:
        raise CommandFailed(f"the expectation of {arn} changed meanwhile; run the command again") from None
    rows = expectation_rows(made)
    printer.line(f"expecting of {arn}:\n" + "\n".join(f"  {label + ':':<11} {value}" for label, value in rows))
    printer.document("expect", arn=arn, expectation=expectation_document(made), cleared=False)
    return EXIT_OK


def _expectable(arn: str) -> bool:
    """A dataset's ARN (not a watched kind) is one `show` takes: expectations are about datasets too."""
    try:
        return target_of(arn.strip()).value == "dataset"
    except NotExpectable:
        return False


WAIT_BOUNDS = (timedelta(seconds=1), timedelta(days=30))


def wait_until_settled(args: argparse.Namespace, session: boto3.session.Session, printer: Printer) -> int:
    good, bad = _parse_arns(args.arns, printer)
    if bad:
        return EXIT_BAD_INPUT
    try:
        timeout = (
            parse_duration(args.timeout, WAIT_BOUNDS, examples=TIMEOUT_EXAMPLES).total_seconds()
            if args.timeout
            else None
        )
    except NotExpectable as exc:
        raise UsageError(f"--timeout: {exc}") from None
    describer = PersonalizeResources(session, config=client_config())
    progress = ProgressLine(printer)
    source = _wait_source(args, session, describer, progress)

    def told(result: Settled) -> None:
        progress.clear()
        said = result.output_path or result.status or ""
        if not result.succeeded:
            said = result.failure_reason or said
        printer.line(f"{result.outcome}  {result.arn}" + (f"  {said}" if said else ""))

    try:
        results = wait_on(source, good, timeout=timeout, on_settled=told, on_progress=progress.show)
    except NotKnown as exc:
        progress.clear()
        raise UsageError(f"{exc} (check its region, account and name)") from None
    except WaitTimedOut as exc:
        progress.clear()
        printer.error(str(exc))
        printer.document("wait", results=[_waited(r) for r in exc.settled], pending=[j.arn for j in exc.pending])
        return EXIT_TIMED_OUT
    except NotifierError as exc:  # refused, or failing to the end: how the jobs ended is not known
        progress.clear()
        printer.error(f"could not find out how it ends: {exc}")
        return EXIT_NOT_FOUND_OUT
    progress.clear()
    printer.document("wait", results=[_waited(r) for r in results], pending=[])
    return EXIT_OK if all(result.succeeded for result in results) else EXIT_ERROR


def _wait_source(
    args: argparse.Namespace, session: boto3.session.Session, describer: PersonalizeResources, progress: ProgressLine
) -> Describing | ReadingTable:
    """The table the poll keeps, where one is named or the default stack has one; else describing directly."""
    named = args.table or os.environ.get("TABLE_NAME") or os.environ.get("NOTIFIER_STACK")
    named = named or args.stack != DEFAULT_STACK
    try:
        name, _ = locate_table(args, session)
    except (UsageError, ClientError) as exc:  # no stack here, or this identity may not read stacks
        refused = isinstance(exc, ClientError) and "AccessDenied" in str(exc.response.get("Error", {}).get("Code"))
        if named or not (isinstance(exc, UsageError) or refused):
            raise
        progress.note(f"no stack {args.stack} in {session.region_name}: describing each ARN directly")
        return wait_source(describer, None, session)
    return wait_source(describer, name, session)


def _waited(result: Settled) -> dict[str, object]:
    return {
        "jobArn": result.arn,
        "outcome": result.outcome,
        "status": result.status,
        "outputPath": result.output_path,
        "failureReason": result.failure_reason,
        "document": result.document,
    }


@_with_table
def poll_once(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    topic = locate_topic(args, session)
    try:
        # The Lambda's other settings (EVENT_SOURCE, STUCK_AFTER_MINUTES, ...) apply here too when set. The
        # stack sends every notification to the default event bus as well: a poll from here must too, or a
        # notification it delivers would never reach EventBridge (it is recorded as delivered everywhere).
        environment = {"EVENT_BUS_NAME": "default", **os.environ}
        settings = Settings.from_env({**environment, "TABLE_NAME": table.name, "TOPIC_ARN": topic})
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    printer.progress(f"polling the jobs watched in {table.name} ...")
    report = build_poller(settings, session, client_config()).poll()
    for notification in report.published:
        printer.line(f"notified  {notification.subject}")
    for problem in report.problems:
        printer.error(problem)
    unreachable = f", {len(report.unreachable)} account(s) unreachable" if report.unreachable else ""
    printer.line(
        f"polled {report.jobs_polled} job(s): {report.transitions} transition(s), "
        f"{report.notifications_published} notification(s) published to {topic}, "
        f"{report.describe_errors} describe error(s), {report.publish_errors} publish error(s){unreachable}"
    )
    printer.document(
        "poll",
        table=table.name,
        topic=topic,
        # camelCase, as every other --json document (the report's own names are Python's)
        summary={camel_case(name): value for name, value in report.summary().items()},
        published=[
            {
                "notificationId": n.id,
                # An unreachable account's notice is about the role tried there, not a job.
                "jobArn": n.document.get("jobArn"),
                "account": n.document.get("account"),
                "subject": n.subject,
                "attributes": n.attributes,
            }
            for n in report.published
        ],
        problems=report.problems,
    )
    failed = report.describe_errors or report.publish_errors or report.store_errors or report.unreachable
    return EXIT_ERROR if failed else EXIT_OK


@_with_table
def discover_jobs(args: argparse.Namespace, table: _Table, session: boto3.session.Session, printer: Printer) -> int:
    parents = [arn.strip() for arn in args.parents or []]
    for arn in parents:
        if not is_parent_arn(arn):
            raise UsageError(f"--parent {arn!r} is not the ARN of {PARENT_KINDS}")
    regions = [
        valid_region(r.strip(), "--regions:", service="personalize")
        for r in (args.regions or "").split(",")
        if r.strip()
    ]
    if not regions:
        regions = sorted({region for arn in parents if (region := region_of(arn))}) or [session.region_name]

    def progress(report: DiscoveryReport) -> None:
        printer.progress(f"  listed {report.listed}, {len(report.tracked)} newly tracked...")

    accounts = _accounts(args.accounts)
    reports: list[tuple[str | None, DiscoveryReport]] = []
    for account, where in (
        [(None, session)] if not accounts else [(a, _assumed(session, a, args.role)) for a in accounts]
    ):
        personalize = PersonalizeResources(where, config=client_config())
        for arn in parents:  # a mistyped parent lists nothing, which is not "no jobs"
            if personalize.missing(arn) is not None:
                raise UsageError(f"--parent {arn} does not exist in Personalize (check its region, account and name)")
        report = discover(
            personalize,
            table.store,
            regions=regions,
            parent_arns=list(parents) or [None],
            progress=progress,
            describer=personalize,
        )
        reports.append((account, report))
        for arn in report.tracked:
            printer.line(f"tracking  {arn}")
        for error in report.errors:
            printer.error(f"listing failed{f' in account {account}' if account else ''}: {error}")
        printer.line(
            f"listed {report.listed} in {f'account {account}, ' if account else ''}{', '.join(regions)}: "
            f"{len(report.tracked)} newly tracked, {report.already_tracked} already tracked, "
            f"{report.finished} already finished"
        )
    printer.document(
        "discover",
        table=table.name,
        regions=regions,
        listed=sum(report.listed for _, report in reports),
        tracked=[arn for _, report in reports for arn in report.tracked],
        alreadyTracked=sum(report.already_tracked for _, report in reports),
        finished=sum(report.finished for _, report in reports),
        errors=[str(error) for _, report in reports for error in report.errors],
        **({"accounts": [_per_account(account, report) for account, report in reports]} if accounts else {}),
    )
    return EXIT_ERROR if any(report.errors for _, report in reports) else EXIT_OK


def _accounts(value: str | None) -> list[str]:
    accounts = [account.strip() for account in (value or "").split(",") if account.strip()]
    for account in accounts:
        if not (len(account) == 12 and account.isdigit()):
            raise UsageError(f"--accounts: {account!r} is not an AWS account ID (12 digits)")
    return accounts


def _assumed(session: boto3.session.Session, account: str, role: str) -> boto3.session.Session:
    """A session in another account, through a role this identity may assume there; a refusal names both."""
    partition = session.get_partition_for_region(session.region_name or "us-east-1")
    role_arn = f"arn:{partition}:iam::{account}:role/{role}"
    try:
        credentials = session.client("sts", config=client_config()).assume_role(
            RoleArn=role_arn, RoleSessionName="personalize-job-notifier-discover"
        )["Credentials"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CommandFailed(
            f"cannot list in account {account}: {error.get('Code')}: {error.get('Message')} (name a role your "
            "identity may assume there with --role)"
        ) from None
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def _per_account(account: str | None, report: DiscoveryReport) -> dict[str, object]:
    return {
        "account": account,
        "listed": report.listed,
        "tracked": list(report.tracked),
        "alreadyTracked": report.already_tracked,
        "finished": report.finished,
        "errors": [str(error) for error in report.errors],
    }


# The webhooks as the command line names them, and as the stack's Webhooks output does.
WEBHOOK_TARGETS = dict(zip(WEBHOOK_TARGET_NAMES, SERVICES, strict=True))


def test_notify(args: argparse.Namespace, session: boto3.session.Session, printer: Printer) -> int:
    """One test notification put on the default bus as the poll puts notices, so each deployed webhook's rule sends
    it on: what arrives in each channel is what the deployed path delivers."""
    outputs = stack_outputs(args, session, "webhooks")
    deployed = [name for name in outputs.get("Webhooks", "").split(",") if name]
    if not deployed:
        raise UsageError(
            f"stack {args.stack!r} has no webhooks to test (deploy it with -c slackWebhookUrl=... or another webhook)"
        )
    asked = [WEBHOOK_TARGETS[target] for target in args.targets or []]
    missing = [target for target in asked if target not in deployed]
    if missing:
        shown = {service: name for name, service in WEBHOOK_TARGETS.items()}
        raise UsageError(
            f"--target {shown[missing[0]]}: stack {args.stack!r} has no such webhook (it has "
            f"{', '.join(shown[service] for service in deployed)})"
        )
    services = tuple(asked or deployed)
    account = session.client("sts", config=client_config()).get_caller_identity()["Account"]
    notice = render_test_notice(str(uuid.uuid4()), iso(utc_now()), account, session.region_name, args.stack)
    events = session.client("events", config=client_config())
    try:
        EventBridgePublisher("default", outputs["EventSource"], events, webhooks=services).publish(notice)
    except PublishFailed as exc:
        raise CommandFailed(f"could not put the test notification on the default event bus: {exc}") from None
    names = ", ".join(name for name, service in WEBHOOK_TARGETS.items() if service in services)
    dead_letters = outputs.get("WebhookDeadLetterQueueUrl")
    printer.document("test-notify", id=notice.id, targets=list(services), deadLetterQueue=dead_letters)
    printer.line(f"Sent test notification {notice.id} to {names}: look in each channel within a minute.")
    printer.line(
        "What a webhook refuses (a wrong URL or key) is kept in "
        f"{dead_letters or 'the webhook dead-letter queue'}, and its alarm tells the "
        "alarm topic."
    )
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "track": track_jobs,
    "untrack": untrack_jobs,
    "list": list_summaries,
    "show": show_job,
    "poll": poll_once,
    "discover": discover_jobs,
    "expect": expect_cadence,
    "usage": usage_report,
    "wait": wait_until_settled,
    "test-notify": test_notify,
}
