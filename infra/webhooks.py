"""Incoming webhooks (Slack, Teams Workflows, Discord, Google Chat) and PagerDuty, reached without Amazon Q and
without code of ours per message: an EventBridge rule per webhook on the default bus, where the poll puts every
notification, sends the body the poll rendered for that service (the event's `detail.webhooks.<service>`) to an
API destination. EventBridge retries what the service refuses with 429 or 5xx, and a dead-letter queue keeps what
still fails, with an alarm at its first message.

A webhook URL (and a PagerDuty routing key) is a credential: given as `secretsmanager:NAME`, the template holds a
CloudFormation dynamic reference to the secret, never the value ("Get a secret or secret value from Secrets
Manager", CloudFormation user guide: the reference "can be used in all resource properties"; the value is read
when the reference itself changes, so a new URL is deployed by its version, `secretsmanager:NAME:VERSION_ID`;
and it "may show up in the service whose resource it's being used in": DescribeApiDestination returns the
endpoint, ListTargetsByRule PagerDuty's input template).
"""

from __future__ import annotations

import json

from aws_cdk import Annotations, Duration, SecretValue
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from notifier.rendering.envelope import failure_event_pattern
from notifier.rendering.webhooks import ALWAYS_PRESENT

from .queues import kept_events_queue
from .settings import DeploySettings, Webhook

# EventBridge connections authorize by Basic, OAuth client credentials or an API key (botocore's
# CreateConnection AuthorizationType); these services authorize by the URL (or the routing key in the body), so
# the connection sends a header they ignore.
UNUSED_KEY_HEADER = "x-personalize-notifier"
UNUSED_KEY_VALUE = "webhook"
# One request a second to each webhook: Slack asks apps to post "no more than one message per second" (Slack API,
# "Rate limits"); the notifier's notices come far slower, so the others lose nothing by it.
INVOCATIONS_PER_SECOND = 1
# EventBridge's own limits for a target's retries: 185 attempts over at most 24 hours (botocore's RetryPolicy).
RETRY_ATTEMPTS = 185
RETRY_HOURS = 24
PAGERDUTY_ENDPOINT = "https://events.pagerduty.com/v2/enqueue"  # Events API v2
TITLES = {
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "discord": "Discord",
    "googleChat": "Google Chat",
    "pagerDuty": "PagerDuty",
}


class Webhooks(Construct):
    """A connection, an API destination and a rule for each webhook the settings give; one dead-letter queue."""

    def __init__(self, scope: Construct, construct_id: str, settings: DeploySettings) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters: sqs.Queue = kept_events_queue(
            self, "DeadLetters", "the dead-letter queue of the webhook rules"
        )
        self.rules: dict[str, events.Rule] = {}
        for webhook in settings.webhooks:
            self.rules[webhook.service] = self._webhook(webhook, settings)

    def _webhook(self, webhook: Webhook, settings: DeploySettings) -> events.Rule:
        name = webhook.service[0].upper() + webhook.service[1:]
        title = TITLES[webhook.service]
        if webhook.secret_name is None:
            Annotations.of(self).add_warning_v2(
                f"personalize-notifier:{webhook.option}-literal",
                f"{webhook.option} is written into the template as it is: a webhook URL or routing key is a "
                f"credential; store it in Secrets Manager and give secretsmanager:NAME instead",
            )
        credential = webhook.value
        if webhook.secret_name:
            secret = SecretValue.secrets_manager(webhook.secret_name, version_id=webhook.secret_version)
            credential = secret.unsafe_unwrap()
        connection = events.Connection(
            self,
            f"{name}Connection",
            description=f"The notifier's {title} webhook (it authorizes by its URL or routing key)",
            authorization=events.Authorization.api_key(
                UNUSED_KEY_HEADER, SecretValue.unsafe_plain_text(UNUSED_KEY_VALUE)
            ),
        )
        destination = events.ApiDestination(
            self,
            f"{name}Destination",
            connection=connection,
            endpoint=PAGERDUTY_ENDPOINT if webhook.service == "pagerDuty" else credential,
            http_method=events.HttpMethod.POST,
            rate_limit_per_second=INVOCATIONS_PER_SECOND,
            description=f"Personalize notifications to {title}",
        )
        carried = {ALWAYS_PRESENT[webhook.service]: [{"exists": True}]}
        detail: dict[str, object] = {"webhooks": {webhook.service: carried}}
        rule = events.Rule(
            self,
            f"{name}Rule",
            description=f"Personalize notifications{' (failures only)' if webhook.only_failures else ''} to {title}",
            event_pattern=events.EventPattern(source=[settings.event_source], detail=detail),
            targets=[
                targets.ApiDestination(
                    destination,
                    event=_body(webhook.service, credential),
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=Duration.hours(RETRY_HOURS),
                )
            ],
        )
        if webhook.only_failures:
            # Written as a string, which the resource takes as well as an object (AWS::Events::Rule's schema,
            # EventPattern "type": ["string", "object"]): the CDK drops the null that matches an unknown.
            cfn = rule.node.default_child
            assert isinstance(cfn, events.CfnRule)
            failures = failure_event_pattern(settings.regressions_on_new_data)
            if webhook.service == "pagerDuty":
                # What ends an incident it opened, whatever its outcome (an idle spell that ended underused first
                # ends `in_use`): a resolve PagerDuty has no incident for changes nothing.
                failures["$or"].append({"webhooks": {"pagerDuty": {"event_action": ["resolve"]}}})
            detail.update(failures)
            pattern = {"source": [settings.event_source], "detail": detail}
            cfn.add_property_override("EventPattern", json.dumps(pattern, separators=(",", ":")))
        return rule


def _body(service: str, credential: str) -> events.RuleTargetInput:
    """The service's body as the poll rendered it (the event's detail.webhooks.<service>); PagerDuty's with the
    routing key, which the event never carries, placed in front of it."""
    path = f"$.detail.webhooks.{service}"
    if service != "pagerDuty":
        return events.RuleTargetInput.from_event_path(path)
    return events.RuleTargetInput.from_object(
        {
            "routing_key": credential,
            **{field: events.EventField.from_path(f"{path}.{field}") for field in PAGERDUTY_FIELDS},
        }
    )


# What the poll renders of a PagerDuty event (notifier.rendering.webhooks), each placed whole by the rule.
PAGERDUTY_FIELDS = ("event_action", "dedup_key", "payload", "links", "client")
