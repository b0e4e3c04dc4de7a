"""What reading usage costs: the requests of 1,000 ACTIVE campaigns at rest, read an hour of polls a minute apart.

    python -m bench --usage     # the full and the quick `make bench` run it too

Half the campaigns answered requests all day (CloudWatch holds their hourly sums), half none. The reading is the
usage clock's: one poll an hour reads every campaign in batched GetMetricData calls; the polls between read nothing
more than their one query. Beside it, the design that asks CloudWatch about each campaign on each poll
(GetMetricStatistics takes one metric a call: CloudWatch API reference): its calls an hour are counted, not run.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from bench.counters import DynamoCounter
from notifier.adapters.usage import MAX_QUERIES_PER_CALL
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.domain.arns import parse_arn
from notifier.domain.usage import REQUEST_METRICS
from notifier.domain.watched import Snapshot, iso, start_watching
from notifier_local import personalize as emulator
from notifier_local.aws import create_watch_table

CAMPAIGNS = 1_000
POLLS_AN_HOUR = 60
REGION, ACCOUNT = "us-east-1", "123456789012"
QUERIES_PER_CAMPAIGN = len(REQUEST_METRICS["campaign"])


@dataclass
class UsageResult:
    campaigns: int
    polls: int
    cloudwatch_calls_per_hour: int  # GetMetricData calls in the hour's polls
    metrics_requested_per_hour: int  # the queries those calls carry (what CloudWatch prices GetMetricData by)
    reading_poll_dynamodb_reads: int  # the poll that read usage: its query, the serving partition's pages
    reading_poll_dynamodb_writes: int  # the clock claimed, and each reading that changed recorded
    between_cloudwatch_calls: int  # every other poll of the hour, together
    between_dynamodb_reads_per_poll: float
    between_dynamodb_writes: int
    idle_told: int
    reading_poll_describe_calls: int  # each resource about to be told idle described first (a few a week each)
    per_poll_design_calls_per_hour: int  # one GetMetricStatistics per campaign and metric, every poll


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def measure() -> UsageResult:
    clock = Clock()
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        create_watch_table(session.client("dynamodb"), "usage")
        topic = session.client("sns").create_topic(Name="usage")["TopicArn"]
        poller = build_poller(Settings(table_name="usage", topic_arn=topic), session)
        poller._clock = clock
        store, cloudwatch = poller._store, session.client("cloudwatch")
        active_since = iso(clock() - timedelta(days=2))
        for index in range(CAMPAIGNS):
            arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/shop-{index:04d}"
            emulator.add_job(emulator.KINDS["campaign"], arn, {"minProvisionedTPS": 1}, "ACTIVE")
            snapshot = Snapshot(status="ACTIVE", facts=(("Minimum TPS", "1"),), updated_at=active_since)
            store.add(start_watching(parse_arn(arn), clock(), snapshot))
            if index % 2 == 0:
                emulator.answer_requests(cloudwatch, arn, [3600.0] * 24, until=clock().timestamp())
        counter = DynamoCounter(store._client)
        calls, idle_told = [], 0
        reading = between = (0, 0)
        described = 0
        for poll in range(POLLS_AN_HOUR):
            before = (counter.reads, counter.writes)
            report = poller.poll()
            calls.append(report.cloudwatch_calls)
            idle_told += sum(1 for told in report.published if told.attributes.get("outcome") == "idle")
            spent = (counter.reads - before[0], counter.writes - before[1])
            if poll == 0:
                reading, described = spent, report.describe_calls + report.list_calls
            else:
                between = (between[0] + spent[0], between[1] + spent[1])
            clock.now += timedelta(minutes=1)
    return UsageResult(
        campaigns=CAMPAIGNS,
        polls=POLLS_AN_HOUR,
        cloudwatch_calls_per_hour=sum(calls),
        metrics_requested_per_hour=CAMPAIGNS * QUERIES_PER_CAMPAIGN,
        reading_poll_dynamodb_reads=reading[0],
        reading_poll_dynamodb_writes=reading[1],
        between_cloudwatch_calls=sum(calls[1:]),
        between_dynamodb_reads_per_poll=between[0] / (POLLS_AN_HOUR - 1),
        between_dynamodb_writes=between[1],
        idle_told=idle_told,
        reading_poll_describe_calls=described,
        per_poll_design_calls_per_hour=CAMPAIGNS * QUERIES_PER_CAMPAIGN * POLLS_AN_HOUR,
    )


def targets(result: UsageResult) -> list[tuple[bool | None, str]]:
    bound = math.ceil(result.campaigns * QUERIES_PER_CAMPAIGN / MAX_QUERIES_PER_CALL)
    return [
        (
            result.cloudwatch_calls_per_hour <= bound,
            f"usage: {result.campaigns:,} ACTIVE campaigns read in {result.cloudwatch_calls_per_hour} GetMetricData "
            f"calls an hour (limit {bound}; asking per campaign each poll: "
            f"{result.per_poll_design_calls_per_hour:,})",
        ),
        (
            result.between_cloudwatch_calls == 0
            and result.between_dynamodb_reads_per_poll == 1
            and result.between_dynamodb_writes == 0,
            f"usage: the {result.polls - 1} polls between readings, {result.between_cloudwatch_calls} CloudWatch "
            f"calls, {result.between_dynamodb_reads_per_poll:g} DynamoDB read a poll, "
            f"{result.between_dynamodb_writes} writes",
        ),
        (
            result.idle_told == result.campaigns // 2,
            f"usage: {result.idle_told} of the {result.campaigns // 2} campaigns nobody called told idle",
        ),
    ]


def render(result: UsageResult) -> str:
    return "\n".join(f"{name:>34}: {value}" for name, value in asdict(result).items())


def run(args: argparse.Namespace | None = None) -> tuple[UsageResult, list[tuple[bool | None, str]]]:
    result = measure()
    return result, targets(result)


def as_json(result: UsageResult) -> dict[str, object]:
    return asdict(result)
