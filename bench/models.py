"""What the lifecycle of models costs: Personalize calls to assess each trained version, and to keep expected
cadences (idle, and when they fall due).

    python -m bench --quick     # runs this too, as the full `make bench` does

10 solutions train 5 versions each, one after another, each version told with its metrics beside the previous
one's; 100 expectations (50 solutions, 50 datasets) are read by polls that have nothing due, then all fall due.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from bench.counters import DynamoCounter
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.domain.cadence import expect
from notifier.domain.quality import DEFAULT_KEY_METRIC
from notifier.usecases.tracking import track
from notifier_local import personalize as emulator
from notifier_local.aws import create_watch_table

SOLUTIONS, VERSIONS, EXPECTATIONS = 10, 5, 100
REGION, ACCOUNT = "us-east-1", "123456789012"
ASSESSING = ("GetSolutionMetrics", "ListSolutionVersions")
# A regressed version only: whether data was imported since the version before (one DescribeSolution, one
# ListDatasets, one ListDatasetImportJobs per dataset; the bench's dataset group has none).
LOOKING_FOR_NEW_DATA = ("DescribeSolution", "ListDatasets", "ListDatasetImportJobs")


@dataclass
class ModelsResult:
    versions_told: int
    versions_with_quality: int
    first_version_calls: float  # per solution's first assessed version (its metrics, one listing)
    later_version_calls: float  # per later version: its metrics only (the previous one's from the table)
    idle_polls: int
    idle_personalize_calls: int
    idle_queries: int  # DynamoDB reads of one idle poll with the expectations in the table
    expectations_due: int
    due_personalize_calls: int  # the poll where every expectation fell due: one listing each
    overdue_told: int
    after_due_personalize_calls: int  # the next poll
    regressions: int = 0  # versions told regressed
    new_data_look_calls: int = 0  # the calls that looked for an import before each regression


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def measure() -> ModelsResult:
    clock = Clock()
    with mock_aws():
        emulator.clock = lambda: clock().timestamp()
        session = boto3.session.Session(region_name=REGION)
        create_watch_table(session.client("dynamodb"), "models")
        topic = session.client("sns").create_topic(Name="models")["TopicArn"]
        poller = build_poller(Settings(table_name="models", topic_arn=topic, stuck_after_minutes=0), session)
        poller._clock = clock
        personalize = session.client("personalize")
        store = poller._store
        group = personalize.create_dataset_group(name="bench")["datasetGroupArn"]
        first_calls = later_calls = told = assessed = regressions = looks = 0
        for s in range(SOLUTIONS):
            solution = personalize.create_solution(name=f"s{s:02d}", datasetGroupArn=group, recipeArn=emulator.RECIPE)[
                "solutionArn"
            ]
            emulator.set_status(solution, "ACTIVE")
            for v in range(VERSIONS):
                version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
                track(version, store, poller._describer, clock=clock)
                emulator.set_metrics(version, {DEFAULT_KEY_METRIC: 0.2 + 0.01 * ((v * 7) % 5), "coverage": 0.4})
                clock.now += timedelta(hours=1)
                emulator.set_status(version, "ACTIVE")
                emulator.calls.reset()
                report = poller.poll()
                calls = sum(emulator.calls.counts.get(action, 0) for action in ASSESSING)
                if v == 0:
                    first_calls += calls
                else:
                    later_calls += calls
                told += report.transitions
                assessed += sum(1 for n in report.published if "quality" in n.attributes)
                regressions += sum(1 for n in report.published if n.attributes.get("quality") == "regressed")
                looks += sum(emulator.calls.counts.get(action, 0) for action in LOOKING_FOR_NEW_DATA)

        # Expectations: half solutions' (these 10 and 40 more never trained), half datasets'.
        for e in range(EXPECTATIONS):
            arn = (
                f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/s{e:02d}"
                if e < EXPECTATIONS // 2
                else f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/g{e:03d}/INTERACTIONS"
            )
            store.save_expectation(expect(arn, timedelta(days=1), clock()), None)
        idle_polls, idle_calls = 5, 0
        counter = DynamoCounter(store._client)
        for _ in range(idle_polls):
            clock.now += timedelta(minutes=1)
            emulator.calls.reset()
            poller.poll()
            idle_calls += emulator.calls.total()
        idle_queries = counter.reads // idle_polls
        clock.now += timedelta(days=1)
        emulator.calls.reset()
        due = poller.poll()
        due_calls = emulator.calls.total()
        clock.now += timedelta(minutes=1)
        emulator.calls.reset()
        poller.poll()
        after = emulator.calls.total()
        emulator.clock = time.time
    return ModelsResult(
        versions_told=told,
        versions_with_quality=assessed,
        first_version_calls=first_calls / SOLUTIONS,
        later_version_calls=later_calls / (SOLUTIONS * (VERSIONS - 1)),
        idle_polls=idle_polls,
        idle_personalize_calls=idle_calls,
        idle_queries=idle_queries,
        expectations_due=EXPECTATIONS,
        due_personalize_calls=due_calls,
        overdue_told=due.overdue,
        after_due_personalize_calls=after,
        regressions=regressions,
        new_data_look_calls=looks,
    )


def targets(result: ModelsResult) -> list[tuple[bool | None, str]]:
    return [
        (
            result.later_version_calls <= 2 and result.versions_with_quality == result.versions_told,
            f"quality: {result.later_version_calls:.1f} Personalize calls per trained version "
            f"({result.first_version_calls:.1f} for a solution's first; limit 2), "
            f"{result.versions_with_quality}/{result.versions_told} told with a verdict",
        ),
        (
            result.new_data_look_calls <= 2 * result.regressions,
            f"quality, new data: {result.new_data_look_calls} calls to look for an import before the "
            f"{result.regressions} regressions, none for the other versions (DescribeSolution and ListDatasets each; "
            "one more a dataset)",
        ),
        (
            result.idle_personalize_calls == 0,
            f"cadence, idle: {result.idle_personalize_calls} Personalize calls in {result.idle_polls} polls "
            f"with {EXPECTATIONS} expectations ({result.idle_queries} DynamoDB read(s) a poll)",
        ),
        (
            result.due_personalize_calls <= result.expectations_due and result.after_due_personalize_calls == 0,
            f"cadence, due: {result.due_personalize_calls} Personalize calls for {result.expectations_due} "
            f"expectations falling due (one listing each), {result.overdue_told} told overdue, "
            f"{result.after_due_personalize_calls} on the next poll",
        ),
    ]


def render(result: ModelsResult) -> str:
    return "\n".join(f"{name:>28}: {value}" for name, value in asdict(result).items())


def run(args: argparse.Namespace | None = None) -> tuple[ModelsResult, list[tuple[bool | None, str]]]:
    result = measure()
    return result, targets(result)


def as_json(result: ModelsResult) -> dict[str, object]:
    return asdict(result)
