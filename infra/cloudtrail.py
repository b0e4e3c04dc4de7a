"""What CloudTrail records of Personalize, as an EventBridge pattern: every rule that tracks from it, here or in
another region or account, matches the same calls."""

from __future__ import annotations

from aws_cdk import aws_events as events

from notifier.domain.cloudtrail import WATCHED_CALLS


def watched_calls() -> events.EventPattern:
    """CloudTrail's record of every Create... call of a watched kind, and of every call that changes a
    watched resource (Update/Start/Stop/Delete), as EventBridge delivers it."""
    return events.EventPattern(
        source=["aws.personalize"],
        detail_type=["AWS API Call via CloudTrail"],
        detail={"eventSource": ["personalize.amazonaws.com"], "eventName": WATCHED_CALLS},
    )
