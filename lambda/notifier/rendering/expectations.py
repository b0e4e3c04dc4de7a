"""The notices of an expected cadence: overdue, and recovered, in every protocol. Pure."""

from __future__ import annotations

from notifier.domain.arns import account_of
from notifier.domain.cadence import Expectation, Notice, OwedNotice, format_period
from notifier.domain.watched import parse_iso
from notifier.rendering.envelope import (
    CHAT_DESCRIPTION_MAX_CHARS,
    CHAT_ICONS,
    CHAT_SUMMARY_MAX_CHARS,
    SCHEMA_VERSION,
    Notification,
    assemble,
)
from notifier.rendering.text import aligned, format_elapsed, readable_time, shorten

CADENCE_DETAIL_TYPE = "Personalize Job Notifier Expected Cadence"


def render_expectation(expectation: Expectation, owed: OwedNotice) -> Notification:
    """An expected cadence fell due unmet (`overdue`), or was met again (`recovered`), in the words fixed when the
    notice was decided (a retry says the same)."""
    what = _expected_of(expectation)
    every = format_period(expectation.every_seconds)
    overdue = owed.event is Notice.OVERDUE
    last = (
        f"{readable_time(owed.last_met)}" + (f" ({owed.last_met_by})" if owed.last_met_by else "")
        if owed.last_met
        else f"never, since this was expected ({readable_time(expectation.since)})"
    )
    expected = expectation.target.expected_every(every)
    told_at = parse_iso(owed.at) or expectation.due_at
    if overdue:
        since = parse_iso(owed.last_met) or parse_iso(expectation.since) or told_at
        quiet = format_elapsed(max(0.0, (told_at - since).total_seconds()))
        if expectation.target.value == "campaign":
            headline = f"Overdue: {what} serves a version {quiet} old (expected under {every})"
        else:
            headline = f"Overdue: {what}: nothing for {quiet} (expected every {every})"
        summary = headline
    else:
        headline = f"Recovered: {what}: met again {readable_time(owed.last_met)}"
        summary = f"{what} is on cadence again"
    notice_id = owed.id
    document: dict[str, object] = {
        "version": SCHEMA_VERSION,
        "id": notice_id,
        "event": owed.event.value,
        "detailType": CADENCE_DETAIL_TYPE,
        "at": owed.at,
        "arn": expectation.arn,
        "target": expectation.target.value,
        "account": account_of(expectation.arn),
        "region": expectation.arn.split(":")[3],
        "expected": expected,
        "everySeconds": expectation.every_seconds,
        "lastMet": owed.last_met,
        "lastMetBy": owed.last_met_by,
        "dueAt": owed.due_at,
        "lookupFailed": owed.detail,
        "outcome": owed.event.value,
        "terminal": False,
    }
    rows = [
        ("Expected", expected),
        ("Last seen", last),
        ("Due", readable_time(owed.due_at)),
        *([("Could not look", owed.detail)] if owed.detail else []),
        ("ARN", expectation.arn),
        ("Account", account_of(expectation.arn)),
    ]
    steps = (
        [
            "Look at the pipeline that feeds it (the schedule, the job that starts it, its last failure)",
            "Change the expectation with `notifier expect ARN --every DURATION`, or remove it with `--clear`",
        ]
        if overdue
        else []
    )
    email = [
        f"{'Overdue' if overdue else 'Recovered'}: {what}",
        "",
        *aligned(rows),
        "",
        (
            f"Said once now, and again after another {every} if it stays so; once more when it is met again."
            if overdue
            else "It was overdue; this ends that."
        ),
        *(["", "What to do:", *(f"- {step}" for step in steps)] if steps else []),
        "",
        f"Notification id: {notice_id}",
    ]
    chat = {
        "version": "1.0",
        "source": "custom",
        "id": notice_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{CHAT_ICONS[owed.event.value]} {'Overdue' if overdue else 'Recovered'}: {what}",
            "description": shorten(
                "\n".join(f"*{label}:* {value}" for label, value in rows), CHAT_DESCRIPTION_MAX_CHARS
            ),
            "nextSteps": steps,
            "keywords": ["cadence", owed.event.value, expectation.target.value],
        },
        "metadata": {
            "threadId": f"expectation/{expectation.arn}",
            "summary": shorten(summary, CHAT_SUMMARY_MAX_CHARS),
            "eventType": f"Cadence{owed.event.value.title()}",
            "relatedResources": [expectation.arn],
            "additionalContext": {"notificationId": notice_id, "outcome": owed.event.value},
        },
    }
    return assemble(
        id=notice_id,
        subject=f"Personalize: {headline}",
        headline=headline,
        email="\n".join(email) + "\n",
        chat=chat,
        attributes={
            "status": owed.event.value.upper(),
            "jobKind": expectation.target.value,
            "terminal": "false",
            "event": owed.event.value,
            "outcome": owed.event.value,
        },
        document=document,
        resource=expectation.arn,
    )


def _expected_of(expectation: Expectation) -> str:
    """dataset group retail; dataset retail/INTERACTIONS; solution movies; campaign home-page."""
    name = expectation.arn.split(":", 5)[5].split("/", 1)[1]
    return f"{expectation.target.value.replace('-', ' ')} {name}"
