"""Queues that keep what could not be delivered or processed, so nothing is lost silently."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .settings import KEPT_EVENTS_DAYS


def kept_events_queue(scope: Construct, construct_id: str, what: str) -> sqs.Queue:
    """A queue that keeps events that could not be processed, for 14 days (SQS's longest retention), encrypted
    and TLS-only; an alarm watches its depth."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(KEPT_EVENTS_DAYS),
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-SQS3",
            reason=f"This queue is {what}; a dead-letter queue of it adds nothing, and an alarm watches its depth.",
        )
    )
    return queue
