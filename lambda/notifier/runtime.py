"""Wires the boto3 adapters into the poll logic. Clients are made here, at first use, never at import."""

from __future__ import annotations

import boto3

from notifier.config import Settings
from notifier.personalize import PersonalizeJobs
from notifier.poller import Poller
from notifier.publisher import SnsPublisher
from notifier.store import DynamoJobStore


def build_store(table_name: str, session: boto3.session.Session | None = None) -> DynamoJobStore:
    session = session or boto3.session.Session()
    return DynamoJobStore(table_name, session.client("dynamodb"))


def build_poller(settings: Settings, session: boto3.session.Session | None = None) -> Poller:
    session = session or boto3.session.Session()
    return Poller(
        store=build_store(settings.table_name, session),
        describer=PersonalizeJobs(session, max_pool_connections=settings.max_concurrency + 2),
        publisher=SnsPublisher(settings.topic_arn, session.client("sns")),
        settings=settings.poll_settings(),
    )
