"""One publish: the SNS message with a body per subscriber protocol, the attributes filter policies route on, and the
limits every body keeps. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from notifier.domain.quality import Quality
from notifier.domain.usage import Usage
from notifier.rendering.text import ascii_subject
from notifier.rendering.webhooks import webhook_bodies

SCHEMA_VERSION = "1.0"

# `outcome` attribute values worth waking someone for: what a failure-only subscription lets through. An idle
# campaign or recommender is among them (it costs money for nothing); an underused one is not.
FAILURE_OUTCOMES = ("failed", "not_found", "invalid", "unreachable", "overdue", Usage.IDLE.value)


def failure_filter_policy(regressions_on_new_data: bool = False) -> dict[str, object]:
    """What failure-only subscriptions get: those outcomes and the end of what they were told of (`recovered`: an
    overdue cadence met again, an idle resource in use again), or a new model worse than the one before, trained
    on the same data unless `regressions_on_new_data` (a regression after an import may be the data's doing:
    `newData` then). SNS filter policies take "$or" across attributes and AND within one object (SNS developer
    guide, "AND/OR logic"), and `exists: false` matches an attribute that is absent ("Attribute key matching");
    the policy's combinations, each array's values multiplied, stay far under SNS's 150 ("Filter policy
    constraints")."""
    regressed: dict[str, object] = {"quality": [Quality.REGRESSED.value]}
    if not regressions_on_new_data:
        regressed["newData"] = [{"exists": False}]
    return {"$or": [{"outcome": [*FAILURE_OUTCOMES, "recovered"]}, regressed]}


FAILURE_FILTER_POLICY = failure_filter_policy()

# The notice `notifier test-notify` sends: a failure-only webhook gets it too.
TEST_EVENT = "test"


def failure_event_pattern(regressions_on_new_data: bool = False) -> dict[str, object]:
    """The same choice as an EventBridge event pattern on the event's detail (the document): its outcome, or a
    regression (trainedOnNewData is true, false or null there), or a test notice. EventBridge patterns take
    "$or" and match null and boolean values ("Comparison operators for use in event patterns")."""
    regressed: dict[str, object] = {"quality": [Quality.REGRESSED.value]}
    if not regressions_on_new_data:
        regressed["trainedOnNewData"] = [False, None]
    return {"$or": [{"outcome": [*FAILURE_OUTCOMES, "recovered"]}, regressed, {"event": [TEST_EVENT]}]}


# Amazon Q Developer in chat applications (AWS Chatbot) custom notifications: kept well inside its limits.
CHAT_TITLE_MAX_CHARS = 250
CHAT_DESCRIPTION_MAX_CHARS = 8000
CHAT_SUMMARY_MAX_CHARS = 250

# One SNS message (all bodies together) and one EventBridge entry must stay under 256 KB.
MESSAGE_BUDGET_BYTES = 200_000
REASON_CAP_CHARS = 10_000
CHAT_ICONS = {
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "stopped": ":octagonal_sign:",
    "in_progress": ":hourglass_flowing_sand:",
    "not_found": ":grey_question:",
    "invalid": ":no_entry:",
    "stuck": ":warning:",
    "deleted": ":wastebasket:",
    "unreachable": ":no_entry_sign:",
    "overdue": ":alarm_clock:",
    "recovered": ":arrows_counterclockwise:",
    Usage.IDLE.value: ":money_with_wings:",
    Usage.UNDERUSED.value: ":chart_with_downwards_trend:",
    Usage.IN_USE.value: ":white_check_mark:",
    Usage.UNKNOWN.value: ":grey_question:",
}


@dataclass(frozen=True)
class Notification:
    """One SNS publish: a subject, a body per protocol, and attributes for subscription filter policies."""

    id: str
    subject: str
    bodies: dict[str, str]
    attributes: dict[str, str]
    document: dict[str, object]
    message: str  # the bodies as SNS takes them (MessageStructure=json), serialized once
    resource: str = ""  # the ARN it is about: a job's, the role tried in an account, what a cadence is expected of
    chat: dict[str, object] = field(default_factory=dict)  # what chat says, which the webhooks' bodies are made of

    @cached_property
    def webhooks(self) -> dict[str, dict[str, object]]:
        """Every incoming webhook's body; made only when asked (the publisher renders the deployed ones alone)."""
        return webhook_bodies(self.chat, self.document)


def assemble(
    *,
    id: str,
    subject: str,
    headline: str,
    email: str,
    chat: dict[str, object],
    attributes: dict[str, str],
    document: dict[str, object],
    resource: str,
) -> Notification:
    """One publish: a body per protocol (programs get the document), serialized once as SNS takes it."""
    for_programs = json.dumps(document, sort_keys=True)
    bodies = {
        "default": headline,
        "email": email,
        "https": json.dumps(chat, ensure_ascii=False),
        "sqs": for_programs,
        "lambda": for_programs,
    }
    return Notification(
        id=id,
        subject=ascii_subject(subject),
        bodies=bodies,
        message=json.dumps(bodies),
        attributes=attributes,
        document=document,
        resource=resource,
        chat=chat,
    )
