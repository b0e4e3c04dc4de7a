"""A job's or resource's notice for Slack and Teams: the custom notification schema of Amazon Q Developer in chat
applications (AWS Chatbot), one thread per job. Pure."""

from __future__ import annotations

from notifier.domain.arns import account_of
from notifier.domain.quality import Quality
from notifier.domain.watched import USAGE_EVENTS, Event, PendingNotification, Watched
from notifier.rendering import model_metrics, usage, wording
from notifier.rendering.envelope import (
    CHAT_DESCRIPTION_MAX_CHARS,
    CHAT_ICONS,
    CHAT_SUMMARY_MAX_CHARS,
    CHAT_TITLE_MAX_CHARS,
)
from notifier.rendering.text import format_duration, shorten


def chat_notification(
    job: Watched, owed: PendingNotification, headline: str, document: dict[str, object]
) -> dict[str, object]:
    """The custom notification schema of Amazon Q Developer in chat applications (AWS Chatbot).

    One job's updates share a Slack thread: `threadId` is the job ARN.
    """
    outcome = str(document["outcome"])
    lines = []
    if owed.event is Event.TRANSITION:
        lines.append(f"*{wording.change_label(owed)}:* {wording.status_change(job, owed, '→', mark='*')}")
        lines += [f"*{what}:* `{old or 'none'}` → `{new or 'none'}`" for what, old, new in owed.changes]
        if document["serving"] is not None:
            lines.append(f"*Serving:* {wording.serving_text(bool(document['serving']))}")
        if owed.assessment is not None:
            lines += model_metrics.chat_lines(owed.assessment)
    elif owed.event in USAGE_EVENTS:
        lines.append(wording.usage_sentence(job, owed))
        lines += [f"*{label}:* {value}" for label, value in (usage.rows(job, owed.usage) if owed.usage else [])]
    else:
        lines.append(f"*Status:* {owed.new_status or 'never seen'}")
        lines.append(f"*{'Stuck' if owed.event is Event.STUCK else 'Personalize'}:* {owed.detail}")
    if owed.output_path and outcome == "succeeded":
        lines.append(f"*Output:* `{owed.output_path}`")
    duration = document["durationSeconds"]
    if isinstance(duration, (int, float)) and document["terminal"]:
        lines.append(f"*Took:* {format_duration(duration)}")
    if owed.failure_reason:
        lines.append(f"*Failure reason:*\n```{owed.failure_reason}```")
    lines.append(f"*{wording.detail_label(job)}:* `{job.arn}`")
    lines.append(f"*Account:* {account_of(job.arn)}")
    if job.input_location:
        lines.append(f"*Input:* `{job.input_location}`")
    lines += [f"*{label}:* {value}" for label, value in job.facts]
    if job.parent_arn and not wording.parent_line_repeats_a_change(job, owed):
        lines.append(f"*{job.kind.parent_label}:* `{job.parent_arn}`")
    opened = document["outputConsoleUrl"] or owed.output_path
    console = document["consoleUrl"] or f"the Personalize console in {job.region}"
    next_steps = {
        "succeeded": [f"Open the output: {opened}" if opened else f"Open {document['consoleWhere']}: {console}"],
        "failed": [
            "Read the failure reason, fix its cause, and try again"
            if job.kind.lives_on
            else "Read the failure reason, fix its cause, and create the job again"
        ],
        "not_found": ["Check the ARN's region, account and name, then track the right job"],
        "invalid": ["Check the ARN, then track the right job"],
        "stuck": [f"Look at {document['consoleWhere']} in the Personalize console: {console}"],
    }.get(outcome, usage.next_steps(job, owed))
    related = [resource for resource in (job.arn, job.parent_arn, owed.output_path) if resource]
    return {
        "version": "1.0",
        "source": "custom",
        "id": owed.id,
        "content": {
            "textType": "client-markdown",
            "title": shorten(
                f"{_chat_icon(owed, outcome)} {wording.title(job, owed)}{wording.verdict_suffix(owed)}".strip(),
                CHAT_TITLE_MAX_CHARS,
            ),
            "description": shorten("\n".join(lines), CHAT_DESCRIPTION_MAX_CHARS),
            "nextSteps": next_steps,
            "keywords": [job.kind.name, owed.new_status or owed.event.value, job.region],
        },
        "metadata": {
            "threadId": job.arn,
            "summary": shorten(headline, CHAT_SUMMARY_MAX_CHARS),
            "eventType": f"{job.kind.label.title().replace(' ', '')}{owed.event.value.title().replace('_', '')}",
            "relatedResources": related,
            "additionalContext": {"notificationId": owed.id, "outcome": outcome},
        },
    }


def _chat_icon(owed: PendingNotification, outcome: str) -> str:
    regressed = owed.assessment is not None and owed.assessment.quality is Quality.REGRESSED
    return ":chart_with_downwards_trend:" if regressed else CHAT_ICONS.get(outcome, "")
