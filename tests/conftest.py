"""Shared fixtures: dummy credentials, moto with the Personalize emulator, and a world to poll in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Before anything imports Powertools or makes a client: dummy credentials, no real endpoint, no tracing (no
# X-Ray daemon here). Nothing else: what the code needs from its environment comes from the deployment
# (tests/infra run the functions with the deployed environment) or from the code's defaults, as for a user.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3
import pytest
from moto import mock_aws

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.store import DynamoWatchStore, build_store
from notifier.app.compose import build_poller
from notifier.app.settings import Settings
from notifier.usecases.poll.poller import Poller
from notifier.usecases.poll.report import PollReport, PollSettings
from notifier.usecases.tracking import TrackResult, track
from notifier_local import personalize as emulator
from notifier_local.aws import Delivered, QueueSubscriber, create_watch_table

REGION = "us-east-1"
ACCOUNT = "123456789012"
DATASET_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/retail/INTERACTIONS"


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    """A deployed notifier in moto: table, topic, a queue subscribed as a subscriber would be."""

    session: boto3.session.Session
    table_name: str
    topic_arn: str
    subscriber: QueueSubscriber
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def settings(self) -> Settings:
        return Settings(table_name=self.table_name, topic_arn=self.topic_arn)

    @property
    def store(self) -> DynamoWatchStore:
        return build_store(self.table_name, self.session)

    def poller(self, **overrides: object) -> Poller:
        poller = build_poller(self.settings, self.session)
        poller._clock = self.clock
        if overrides:
            poller._settings = PollSettings(**{**vars(poller._settings), **overrides})
        return poller

    def poll(self, **overrides: object) -> PollReport:
        return self.poller(**overrides).poll()

    def export_job(self, name: str, output: str | None = None) -> str:
        """A real CreateDatasetExportJob call against the emulator; the job starts CREATE PENDING."""
        client = self.session.client("personalize")
        return client.create_dataset_export_job(
            jobName=name,
            datasetArn=DATASET_ARN,
            ingestionMode="BULK",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": output or f"s3://exports-bucket/{name}/"}},
        )["datasetExportJobArn"]

    def track(self, arn: str) -> TrackResult:
        return track(arn, self.store, PersonalizeResources(self.session), clock=self.clock)

    def delivered(self) -> list[Delivered]:
        return self.subscriber.receive_all()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        emulator.calls.reset()
        emulator.clear_faults()
        yield
        emulator.clear_faults()


@pytest.fixture
def world(aws: None) -> Iterator[World]:
    session = boto3.session.Session(region_name=REGION)
    create_watch_table(session.client("dynamodb"), "tracked-jobs")
    sns = session.client("sns")
    topic_arn = sns.create_topic(Name="job-notifications")["TopicArn"]
    subscriber = QueueSubscriber(sns, session.client("sqs"), topic_arn, "subscriber")
    world = World(session=session, table_name="tracked-jobs", topic_arn=topic_arn, subscriber=subscriber)
    emulator.clock = lambda: world.clock().timestamp()  # Personalize's timestamps follow the test's clock
    yield world
    emulator.clock = time.time
