"""A job's or resource's notice in every protocol at once, kept under the size SNS and EventBridge take. Pure."""

from __future__ import annotations

from dataclasses import replace

from notifier.domain.watched import PendingNotification, Watched
from notifier.rendering import wording
from notifier.rendering.chat import chat_notification
from notifier.rendering.document import event_document
from notifier.rendering.email import email_text
from notifier.rendering.envelope import MESSAGE_BUDGET_BYTES, REASON_CAP_CHARS, Notification, assemble
from notifier.rendering.text import shorten


def render(job: Watched, owed: PendingNotification) -> Notification:
    """Every body of one publish. SNS and EventBridge cap a message at 256 KB and every body repeats the
    failure reason: a reason too long for that is cut (the JSON says so), or the publish would fail forever."""
    notification = _render(job, owed)
    if len(notification.message.encode()) <= MESSAGE_BUDGET_BYTES:
        return notification
    cut = replace(
        owed,
        failure_reason=shorten(owed.failure_reason, REASON_CAP_CHARS) if owed.failure_reason else None,
        detail=shorten(owed.detail, REASON_CAP_CHARS) if owed.detail else None,
    )
    return _render(job, cut, truncated=True)


def _render(job: Watched, owed: PendingNotification, truncated: bool = False) -> Notification:
    document = event_document(job, owed)
    if truncated:
        document["failureReasonTruncated"] = True
    headline = wording.headline(job, owed)
    return assemble(
        id=owed.id,
        subject=f"Personalize: {headline}",
        headline=headline,
        email=email_text(job, owed, headline, document),
        chat=chat_notification(job, owed, headline, document),
        attributes={
            "status": owed.new_status or "UNKNOWN",
            "jobKind": job.kind.name,
            "terminal": "true" if document["terminal"] else "false",
            "event": owed.event.value,
            "outcome": str(document["outcome"]),
            **({"quality": owed.assessment.quality.value} if owed.assessment and owed.assessment.quality else {}),
            **({"newData": "true"} if owed.assessment and owed.assessment.new_data else {}),
            **({"usageBefore": owed.usage_before.value} if owed.usage_before else {}),
        },
        document=document,
        resource=job.arn,
    )
