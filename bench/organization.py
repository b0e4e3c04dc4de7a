"""What a poll costs when one notifier reads an organization: 100 member accounts x 2 regions, N = 10,000
watched, A = 100 running spread over 50 accounts; beside it the same jobs in one account.

    python -m bench --organization

The emulated latency applies to sts:AssumeRole as to Personalize; the request-rate throttle stays one for all
accounts (AWS's quotas are per account and region, so a real organization is throttled less: this is the
conservative comparison).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import boto3
from moto import mock_aws

from bench.counters import DynamoCounter
from bench.table import write_records
from notifier.adapters.accounts import AccountSessions
from notifier.adapters.personalize import PersonalizeResources
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.kinds import KINDS
from notifier.domain.watched import Snapshot
from notifier_local import personalize as emulator
from notifier_local.aws import account_admin, create_watch_table

KIND = KINDS["dataset-export-job"]
HOME, ROLE = "123456789012", "PersonalizeJobNotifier-Reader"
REGIONS = ("us-east-1", "eu-west-1")
MEMBERS, WATCHED, ACTIVE, ACCOUNTS_ACTIVE = 100, 10_000, 100, 50
CHANGED_EVERY = 10  # one running job in ten finishes just before the measured poll


@dataclass
class OrganizationResult:
    layout: str  # "organization" or "one account"
    accounts_with_active_jobs: int
    idle_queries: int
    idle_assume_role_calls: int
    wall_seconds: float
    personalize_calls: int
    assume_role_calls: int  # in the measured poll (a cold function: none assumed before)
    warm_assume_role_calls: int  # in the poll after it (the same function, credentials kept)
    transitions_made: int
    transitions_notified: int


def member_account(index: int) -> str:
    return f"{210000000000 + index:012d}"


def layout(organization: bool) -> list[tuple[str, str, str, bool]]:
    """(arn, dataset, status, running) of every watched job: 50 per account and region, the running ones two per
    account in the first 50 accounts, one in each region. In one account, the same jobs under the same datasets."""
    jobs = []
    per_place = WATCHED // (MEMBERS * len(REGIONS))
    for member in range(MEMBERS):
        account = member_account(member) if organization else HOME
        for region_index, region in enumerate(REGIONS):
            dataset = f"arn:aws:personalize:{region}:{account}:dataset/m{member:03d}/INTERACTIONS"
            for k in range(per_place):
                name = f"m{member:03d}-{region_index}-{k:02d}"
                arn = f"arn:aws:personalize:{region}:{account}:dataset-export-job/{name}"
                running = member < ACCOUNTS_ACTIVE and k == 0
                jobs.append((arn, dataset, "CREATE PENDING" if running else "ACTIVE", running))
    assert sum(running for *_, running in jobs) == ACTIVE
    return jobs


def seed(session: boto3.session.Session, table: str, jobs: list[tuple[str, str, str, bool]]) -> None:
    tracked_at = emulator_now() - timedelta(hours=1)

    def records() -> Iterator[watched.Watched]:
        for arn, dataset, status, _ in jobs:
            name = arn.rsplit("/", 1)[1]
            request = {
                "jobName": name,
                "datasetArn": dataset,
                "jobOutput": {"s3DataDestination": {"path": f"s3://bench/{name}/"}},
            }
            emulator.add_job(KIND, arn, request, status)
            yield watched.start_watching(parse_arn(arn), tracked_at, Snapshot(status=status, parent_arn=dataset))

    write_records(session.client("dynamodb"), table, records())


def emulator_now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.fromtimestamp(emulator.clock(), UTC)


def give_member_roles() -> None:
    """The member stack's reader role in every member account (as each account's admin creates it)."""
    for member in range(MEMBERS):
        account_admin(member_account(member)).client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument="{}")


def measure(organization: bool, args: argparse.Namespace) -> OrganizationResult:
    jobs = layout(organization)
    with mock_aws():
        session = boto3.session.Session(region_name=REGIONS[0])
        create_watch_table(session.client("dynamodb"), "org-jobs")
        topic = session.client("sns").create_topic(Name="org")["TopicArn"]
        if organization:
            give_member_roles()
        # AssumeRole answers after the same latency as a Personalize call.
        session.events.register("before-call.sts.AssumeRole", lambda **_: time.sleep(args.latency_ms / 1000))
        settings = Settings(table_name="org-jobs", topic_arn=topic, stuck_after_minutes=0)
        accounts = AccountSessions(session, role_name=ROLE, home_account=HOME)
        poller = build_poller(settings, session)
        poller._describer = poller._lister = PersonalizeResources(session, accounts=accounts)

        # The idle poll: nothing seeded is running yet.
        seed(session, "org-jobs", [(arn, dataset, "ACTIVE", False) for arn, dataset, _, _ in jobs])
        counter = DynamoCounter(poller._store._client)
        idle = poller.poll()
        idle_queries, idle_assumed = counter.reads, accounts.assumed
        assert idle.jobs_read == 0

        seed(session, "org-jobs", jobs)
        running = [arn for arn, *_, is_running in jobs if is_running]
        changed = running[::CHANGED_EVERY]
        for arn in changed:
            emulator.set_status(arn, "ACTIVE")
        emulator.calls.reset()
        emulator.limits.set(args.latency_ms / 1000, args.rate)
        started = time.perf_counter()
        report = poller.poll()
        wall = time.perf_counter() - started
        calls, assumed = emulator.calls.total(), accounts.assumed - idle_assumed
        poller.poll()  # the next poll of the same (warm) function
        warm = accounts.assumed - idle_assumed - assumed
        emulator.limits.set()
        return OrganizationResult(
            layout="organization" if organization else "one account",
            accounts_with_active_jobs=len({arn.split(":")[4] for arn in running}),
            idle_queries=idle_queries,
            idle_assume_role_calls=idle_assumed,
            wall_seconds=wall,
            personalize_calls=calls,
            assume_role_calls=assumed,
            warm_assume_role_calls=warm,
            transitions_made=len(changed),
            transitions_notified=report.transitions,
        )


def run(args: argparse.Namespace) -> tuple[list[OrganizationResult], list[tuple[bool | None, str]]]:
    results = [measure(True, args), measure(False, args)]
    return results, targets(results)


def targets(results: list[OrganizationResult]) -> list[tuple[bool | None, str]]:
    by = {r.layout: r for r in results}
    org, one = by.get("organization"), by.get("one account")
    if org is None or one is None:
        return [(None, "an organization's poll (needs python -m bench --organization)")]
    ratio = org.wall_seconds / max(one.wall_seconds, 1e-9)
    return [
        (
            org.idle_queries == 1 and org.idle_assume_role_calls == 0,
            f"organization, idle: {org.idle_queries} DynamoDB query and {org.idle_assume_role_calls} AssumeRole calls",
        ),
        (
            org.assume_role_calls <= org.accounts_with_active_jobs and org.warm_assume_role_calls == 0,
            f"organization, A={ACTIVE:,} over {org.accounts_with_active_jobs} accounts: {org.assume_role_calls} "
            f"AssumeRole calls, {org.warm_assume_role_calls} on the next poll of the warm function",
        ),
        (
            ratio <= 1.2 and org.transitions_notified == org.transitions_made,
            f"organization, A={ACTIVE:,}: {org.wall_seconds:.1f} s, {ratio:.2f}x the same jobs in one account "
            f"({one.wall_seconds:.1f} s; limit 1.2x), {org.transitions_notified}/{org.transitions_made} notified",
        ),
    ]


def render(results: list[OrganizationResult]) -> str:
    rows = [("layout", "accounts active", "wall s", "Personalize calls", "AssumeRole", "next poll", "notified/made")]
    for r in results:
        rows.append(
            (
                r.layout,
                str(r.accounts_with_active_jobs),
                f"{r.wall_seconds:.2f}",
                f"{r.personalize_calls:,}",
                str(r.assume_role_calls),
                str(r.warm_assume_role_calls),
                f"{r.transitions_notified}/{r.transitions_made}",
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def as_json(results: list[OrganizationResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
