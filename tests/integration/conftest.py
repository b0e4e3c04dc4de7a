"""What several integration modules subscribe: a person's email, and a failure-only queue; and the resources
they make as a user makes them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from notifier.rendering.envelope import FAILURE_FILTER_POLICY
from notifier_local.aws import QueueSubscriber
from notifier_local.inbox import inbox
from tests.conftest import World

READER = "ml-team@example.com"


@pytest.fixture
def email(world: World) -> Callable[[str], str]:
    """An email subscriber: the text a person reads, by the ARN it is about (its details name it:
    `... ARN:  arn:...`)."""
    inbox.clear()
    world.session.client("sns").subscribe(TopicArn=world.topic_arn, Protocol="email", Endpoint=READER)

    def about(arn: str) -> str:
        named = re.compile(rf"ARN: +{re.escape(arn)}$", re.MULTILINE)
        return [mail.body for mail in inbox.for_address(READER) if named.search(mail.body)][-1]

    return about


@pytest.fixture
def failures(world: World) -> QueueSubscriber:
    """A queue subscribed with the failure-only filter policy, as `failureEmails` is."""
    sns, sqs = world.session.client("sns"), world.session.client("sqs")
    return QueueSubscriber(sns, sqs, world.topic_arn, "failures", FAILURE_FILTER_POLICY)
