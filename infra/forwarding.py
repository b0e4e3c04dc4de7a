"""Auto-tracking for jobs created in other regions. CloudTrail delivers a call's event to EventBridge only in
the region of the call, so each listed region gets a small stack whose rule sends the same Create... calls
to the home region's default event bus (a cross-Region event bus target, with a role that may put events
there and nowhere else), where the home stack's rule tracks them like its own region's."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from .cloudtrail import watched_calls
from .queues import kept_events_queue


class RegionForwarder(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, home_region: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        home_bus = events.EventBus.from_event_bus_arn(
            self,
            "HomeBus",
            self.format_arn(service="events", region=home_region, resource="event-bus", resource_name="default"),
        )
        # What EventBridge could not put on the home bus (the home region unreachable, the role changed): kept
        # here rather than dropped. No retry policy is written: an event bus target takes none ("Retry policy is
        # not supported for Event bus targets", aws-cdk's EventBus target), EventBridge's own retrying applies.
        self.dead_letters = kept_events_queue(
            self, "ForwardDeadLetters", f"the dead-letter queue of the rule forwarding to {home_region}"
        )
        # targets.EventBus makes the role: assumed by EventBridge, events:PutEvents on the home bus only.
        self.rule = events.Rule(
            self,
            "CreateJobCalls",
            description=f"Personalize Create...Job API calls recorded by CloudTrail, sent on to {home_region}",
            event_pattern=watched_calls(),
            targets=[targets.EventBus(home_bus, dead_letter_queue=self.dead_letters)],
        )
