"""What a notification says, per subscriber protocol. Pure: the same input always renders the same text."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from urllib.parse import quote

from notifier.arns import account_of
from notifier.cadence import Expectation, Notice, OwedNotice, format_period
from notifier.kinds import Outcome
from notifier.quality import Assessment, Quality, readable
from notifier.reachability import AccountMark
from notifier.watched import Event, PendingNotification, Watched, parse_iso

SCHEMA_VERSION = "1.0"
SUBJECT_MAX_CHARS = 99  # SNS: ASCII, under 100 characters, no line breaks
# `outcome` attribute values worth waking someone for: what a failure-only subscription lets through.
FAILURE_OUTCOMES = ("failed", "not_found", "invalid", "unreachable", "overdue")
# What failure-only subscriptions get: those outcomes and the end of an overdue cadence they were told of, or a new
# model worse than the one before (SNS filter policies take "$or" across attributes: SNS developer guide, "AND/OR
# logic", "OR operator").
FAILURE_FILTER_POLICY: dict[str, object] = {
    "$or": [{"outcome": [*FAILURE_OUTCOMES, "recovered"]}, {"quality": [Quality.REGRESSED.value]}]
}
# Amazon Q Developer in chat applications (AWS Chatbot) custom notifications: kept well inside its limits.
CHAT_TITLE_MAX_CHARS = 250
CHAT_DESCRIPTION_MAX_CHARS = 8000
CHAT_SUMMARY_MAX_CHARS = 250
# One SNS message (all bodies together) and one EventBridge entry must stay under 256 KB.
MESSAGE_BUDGET_BYTES = 200_000
REASON_CAP_CHARS = 10_000
_CHAT_ICONS = {
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
}
UNREACHABLE_DETAIL_TYPE = "Personalize Job Notifier Account Unreachable"
CADENCE_DETAIL_TYPE = "Personalize Job Notifier Expected Cadence"


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
    headline = _headline(job, owed)
    return _notification(
        id=owed.id,
        subject=f"Personalize: {headline}",
        headline=headline,
        email=_email_text(job, owed, headline, document),
        chat=chat_notification(job, owed, headline, document),
        attributes={
            "status": owed.new_status or "UNKNOWN",
            "jobKind": job.kind.name,
            "terminal": "true" if document["terminal"] else "false",
            "event": owed.event.value,
            "outcome": str(document["outcome"]),
            **({"quality": owed.assessment.quality.value} if owed.assessment and owed.assessment.quality else {}),
        },
        document=document,
        resource=job.arn,
    )


def event_document(job: Watched, owed: PendingNotification) -> dict[str, object]:
    """The versioned JSON event for programs (SQS, Lambda, EventBridge)."""
    outcome = _outcome(job, owed)
    return {
        "version": SCHEMA_VERSION,
        "id": owed.id,
        "event": owed.event.value,
        "detailType": job.kind.event_detail_type,
        "at": owed.at,
        "jobKind": job.kind.name,
        "jobArn": job.arn,
        "jobName": job.name,
        "account": account_of(job.arn),
        "region": job.region,
        "parentArn": job.parent_arn,
        "datasetArn": job.parent_arn if job.kind.parent_key == "datasetArn" else None,
        "inputLocation": job.input_location,
        "facts": dict(job.facts),
        "previousStatus": owed.old_status,
        "status": owed.new_status,
        "outcome": outcome,
        "terminal": _terminal(job, owed),
        "createdAt": job.created_at,
        "lastUpdatedAt": job.updated_at,
        "durationSeconds": _duration_seconds(job) if _since_creation(job, owed) else None,
        "outputPath": owed.output_path,
        "failureReason": owed.failure_reason,
        "detail": owed.detail,
        "update": owed.update,
        "changes": [{"what": what, "before": before, "after": after} for what, before, after in owed.changes],
        "serving": _serving(job, owed),
        "consoleUrl": console_url(job),
        "consoleWhere": console_where(job),
        "outputConsoleUrl": s3_console_url(owed.output_path) if owed.output_path else None,
        **(_quality_document(owed.assessment) if owed.assessment else {}),
    }


def _quality_document(assessment: Assessment) -> dict[str, object]:
    """A model's metrics by Personalize's own names, and the verdict against the version before (present only
    in notifications that carry metrics: a version that finished training, a campaign that moved, a recommender)."""
    compared = assessment.quality is not None
    return {
        "metricsOf": assessment.version_arn,
        "metrics": dict(assessment.metrics),
        "metricsMissing": assessment.missing,
        "quality": assessment.quality.value if assessment.quality else None,
        "qualityRule": {"keyMetric": assessment.key_metric, "thresholdPercent": assessment.threshold_percent}
        if compared
        else None,
        "previousVersion": {"arn": assessment.previous_arn, "metrics": dict(assessment.previous_metrics)}
        if assessment.previous_arn
        else None,
    }


def _metrics_table(assessment: Assessment) -> list[str]:
    """Each metric in one aligned row: its readable name, this value, the previous version's, the change."""
    before = _short(assessment.previous_arn) if assessment.previous_arn else None
    header = ["Metric", "This model", *([before, "Change"] if before else [])]
    rows = [header]
    previous = dict(assessment.previous_metrics)
    for name, value in assessment.metrics:
        row = [readable(name), f"{value:.4f}"]
        if before:
            change = assessment.change_percent(name)
            row += [
                f"{previous[name]:.4f}" if name in previous else "-",
                f"{change:+.1f} %" if change is not None else "-",
            ]
        rows.append(row)
    return columns(rows)


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines whose cells line up, two spaces apart (a header is a row like the others)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _quality_text(assessment: Assessment) -> str:
    """regressed: NDCG@25 0.2750, 12.0 % below 9c2b (under 5 % is unchanged)."""
    if assessment.quality is None:
        return ""
    rule = (
        f" (a change under {assessment.threshold_percent:g} % of {readable(assessment.key_metric)} is unchanged)"
        if assessment.quality in (Quality.IMPROVED, Quality.REGRESSED, Quality.UNCHANGED)
        else ""
    )
    return f"{assessment.quality.value}: {assessment.summary()}{rule}"


def chat_notification(
    job: Watched, owed: PendingNotification, headline: str, document: dict[str, object]
) -> dict[str, object]:
    """The custom notification schema of Amazon Q Developer in chat applications (AWS Chatbot).

    One job's updates share a Slack thread: `threadId` is the job ARN.
    """
    outcome = str(document["outcome"])
    lines = []
    if owed.event is Event.TRANSITION:
        lines.append(f"*{_moved(owed)}:* {_status_change(job, owed, '→', mark='*')}")
        lines += [f"*{what}:* `{old or 'none'}` → `{new or 'none'}`" for what, old, new in owed.changes]
        if document["serving"] is not None:
            lines.append(f"*Serving:* {_serving_text(bool(document['serving']))}")
        if owed.assessment is not None:
            lines += _chat_metrics(owed.assessment)
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
    lines.append(f"*{_who(job)}:* `{job.arn}`")
    lines.append(f"*Account:* {account_of(job.arn)}")
    if job.input_location:
        lines.append(f"*Input:* `{job.input_location}`")
    lines += [f"*{label}:* {value}" for label, value in job.facts]
    if job.parent_arn and not _parent_line_repeats_a_change(job, owed):
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
    }.get(outcome, [])
    related = [resource for resource in (job.arn, job.parent_arn, owed.output_path) if resource]
    return {
        "version": "1.0",
        "source": "custom",
        "id": owed.id,
        "content": {
            "textType": "client-markdown",
            "title": shorten(
                f"{_chat_icon(owed, outcome)} {_title(job, owed)}{_verdict(owed)}".strip(), CHAT_TITLE_MAX_CHARS
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
    return ":chart_with_downwards_trend:" if regressed else _CHAT_ICONS.get(outcome, "")


def _verdict(owed: PendingNotification) -> str:
    """A title's note of how good the model is, where it was compared: `, regressed`."""
    quality = owed.assessment.quality if owed.assessment else None
    return f", {quality.value}" if quality in (Quality.IMPROVED, Quality.REGRESSED) else ""


def _chat_metrics(assessment: Assessment) -> list[str]:
    if assessment.missing:
        return [f"*Metrics:* not available ({assessment.missing})"]
    lines = [f"*Quality:* {_quality_text(assessment)}"] if assessment.quality else []
    if assessment.metrics:
        table = "\n".join(_metrics_table(assessment))
        lines.append(f"*Metrics:*\n```{table}```")
    return lines


def render_unreachable(mark: AccountMark) -> Notification:
    """The one notice of an account the notifier cannot read: which account, the role it tried, why, and what
    mends it."""
    headline = f"Cannot read account {mark.account}: its jobs stay tracked, unread until its reader role works"
    reason = shorten(mark.reason, REASON_CAP_CHARS)
    document: dict[str, object] = {
        "version": SCHEMA_VERSION,
        "id": mark.notification_id,
        "event": "unreachable",
        "detailType": UNREACHABLE_DETAIL_TYPE,
        "at": mark.since,
        "account": mark.account,
        "roleArn": mark.role_arn,
        "reason": reason,
        "outcome": "unreachable",
        "terminal": False,
    }
    role = mark.role_arn.rsplit("/", 1)[-1]
    stack = role.removesuffix("-Reader")
    steps = [
        f"Deploy the member stack ({stack}-Member, from the notifier's synth) in account {mark.account}, or check "
        "that it is there and made the role (in its ReaderRoleRegion)",
        f"Check that {role} there trusts the notifier's poll and track roles, with the external ID the notifier "
        "sends if one is set",
        f"Check that no SCP of account {mark.account} denies {role} Personalize's Describe and List actions",
    ]
    email = [
        f"Cannot read account {mark.account}",
        "",
        *_aligned([("Account", mark.account), ("Role tried", mark.role_arn), ("Since", readable_time(mark.since))]),
        "",
        "Why:",
        reason,
        "",
        "Its jobs stay tracked and are tried again every poll. This is said once, and again in about a week if "
        "it stays so.",
        "",
        "What to do:",
        *(f"- {step}" for step in steps),
        "",
        f"Notification id: {mark.notification_id}",
    ]
    chat = {
        "version": "1.0",
        "source": "custom",
        "id": mark.notification_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{_CHAT_ICONS['unreachable']} Cannot read account *{mark.account}*",
            "description": shorten(
                f"*Role tried:* `{mark.role_arn}`\n*Why:*\n```{reason}```\n"
                "Its jobs stay tracked and are tried again every poll.",
                CHAT_DESCRIPTION_MAX_CHARS,
            ),
            "nextSteps": steps,
            "keywords": ["account", "unreachable", mark.account],
        },
        "metadata": {
            "threadId": f"account/{mark.account}",
            "summary": shorten(headline, CHAT_SUMMARY_MAX_CHARS),
            "eventType": "AccountUnreachable",
            "relatedResources": [mark.role_arn],
            "additionalContext": {"notificationId": mark.notification_id, "outcome": "unreachable"},
        },
    }
    return _notification(
        id=mark.notification_id,
        subject=f"Personalize notifier: cannot read account {mark.account}",
        headline=headline,
        email="\n".join(email) + "\n",
        chat=chat,
        attributes={
            "status": "UNREACHABLE",
            "jobKind": "account",
            "terminal": "false",
            "event": "unreachable",
            "outcome": "unreachable",
        },
        document=document,
        resource=mark.role_arn,
    )


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
        *_aligned(rows),
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
            "title": f"{_CHAT_ICONS[owed.event.value]} {'Overdue' if overdue else 'Recovered'}: {what}",
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
    return _notification(
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


def _notification(
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
    )


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary where one is near, never inside a character.

    Python strings index code points; a combining mark left without its base is dropped too.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return cut.rstrip() + "…"


def ascii_subject(text: str) -> str:
    """SNS subjects must be ASCII without control characters and under 100 characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in folded).split())
    if len(flat) <= SUBJECT_MAX_CHARS:
        return flat
    return flat[: SUBJECT_MAX_CHARS - 3].rstrip() + "..."


# The Personalize console's URL forms, as AWS writes them (never guessed): its home page as the developer guide
# links it (https://console.aws.amazon.com/personalize/home), with ?region= as AWS's samples add; a dataset
# group's page as AWS's own solutions link it, the ARN after '#' with its '/' as '$', then /setup
# (aws-solutions/maintaining-personalized-experiences-with-machine-learning, sns_notification/handler.py;
# aws-samples/amazon-personalize-monitor, dashboard-template.mustache). No other resource's page has a
# documented form: the link goes to the dataset group where the ARNs name it, and the text says what to open.
_CONSOLE = "https://console.aws.amazon.com/personalize/home?region={region}"


_DATASET = re.compile(r"(?P<account>arn:[\w-]+:personalize:[\w-]+:\d{12}):dataset/(?P<group>[^/]+)/[^/]+")


def _dataset_group(job: Watched) -> str | None:
    """The ARN of the dataset group it belongs to, where its own ARN or its parent's names it."""
    if job.kind.name == "dataset-group":
        return job.arn
    parent = job.parent_arn or ""
    if job.kind.parent_key == "datasetGroupArn" and ":dataset-group/" in parent:
        return parent
    dataset = _DATASET.fullmatch(parent) if job.kind.parent_key == "datasetArn" else None
    return f"{dataset['account']}:dataset-group/{dataset['group']}" if dataset else None  # dataset/GROUP/TYPE


def console_url(job: Watched) -> str | None:
    """Its dataset group's console page where known, else the console in its region (None outside aws)."""
    if job.arn.split(":")[1] != "aws":
        return None  # other partitions' consoles have hosts of their own
    home = _CONSOLE.format(region=job.region)
    group = _dataset_group(job)
    return f"{home}#{group.replace('/', '$')}/setup" if group else home


def console_where(job: Watched) -> str:
    """What to open in the console to find it: the link cannot go to its own page."""
    if job.kind.name == "dataset-group":
        return f"the dataset group {job.name}"
    what = f"{job.kind.label.lower()} {job.name}"
    group = _dataset_group(job)
    if group:
        return f"the dataset group {group.rsplit('/', 1)[1]}, then its {what}"
    return f"the {what}, in the dataset group that holds it ({job.region})"


def s3_console_url(path: str) -> str | None:
    """s3://bucket/prefix/ -> the S3 console page listing that prefix."""
    if not path.startswith("s3://"):
        return None
    bucket, _, prefix = path[len("s3://") :].partition("/")
    if not bucket:
        return None
    return f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket)}?prefix={quote(prefix)}"


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def format_elapsed(seconds: float) -> str:
    """A stall's length as people say it: 45 min, 31 h, 8 d 3 h."""
    hours = int(seconds // 3600)
    if hours >= 48:
        days, rest = divmod(hours, 24)
        return f"{days} d {rest} h" if rest else f"{days} d"
    return f"{hours} h" if hours else f"{int(seconds // 60)} min"


def _terminal(job: Watched, owed: PendingNotification) -> bool:
    """The wait is over: a job ended, a resource (or its update) came to rest, or watching ended."""
    if owed.event is Event.TRANSITION:
        return job.kind.is_terminal(owed.new_status)
    return owed.event in (Event.NOT_FOUND, Event.INVALID, Event.DELETED)  # a stuck one is still running


def _since_creation(job: Watched, owed: PendingNotification) -> bool:
    """A job's timestamps measure its run; a resource's only its creation (later changes are not timed)."""
    if not job.kind.lives_on:
        return True
    rested_before = any(job.kind.is_terminal(change.status) for change in job.history[:-1])
    return not owed.update and owed.event is Event.TRANSITION and not rested_before


def _serving(job: Watched, owed: PendingNotification) -> bool | None:
    """Whether a campaign or recommender now answers recommendation requests (and bills for them)."""
    if not job.kind.serves or owed.event is not Event.TRANSITION or owed.update:
        return None
    outcome = job.kind.outcome(owed.new_status)
    if outcome is Outcome.SUCCEEDED:
        return True
    if outcome is Outcome.STOPPED or (owed.new_status or "").startswith("DELETE"):
        return False
    return None


def _serving_text(serving: bool) -> str:
    # StopRecommender/StartRecommender (API reference): stopping "halts billing and automatic retraining".
    return "yes, it answers recommendation requests and bills" if serving else "no, and it is not billed"


def _before(owed: PendingNotification) -> str:
    """The status it moved from; an update first seen already under way (or done) has none to show."""
    return owed.old_status or ("" if owed.update else "not yet seen")


def _status_change(job: Watched, owed: PendingNotification, arrow: str, mark: str = "") -> str:
    """OLD -> NEW; an update seen only once it was done says what that status means for the update."""
    before = _before(owed)
    if before:
        return f"{before} {arrow} {mark}{owed.new_status}{mark}"
    meaning = {"succeeded": " (the update is done)", "failed": " (the update failed)"}.get(_outcome(job, owed), "")
    return f"{mark}{owed.new_status}{mark}{meaning}"


def _parent_line_repeats_a_change(job: Watched, owed: PendingNotification) -> bool:
    """A campaign's update names its new solution version as a change: the details need not name it again."""
    return any(what == job.kind.parent_label for what, _, _ in owed.changes)


def _moved(owed: PendingNotification) -> str:
    return "Update" if owed.update else "Status"


def _who(job: Watched) -> str:
    """What the details call it: a job is a job; a solution version or a resource is what it is."""
    return "Job" if job.kind.name.endswith("-job") else job.kind.label


def _what(job: Watched, mark: str = "") -> str:
    """Its kind and name, the name marked (chat's bold). A solution version without a name of its own is
    named by its solution (its ARN's last part is an ID: solution/movies/3f1a2b)."""
    solution, slash, version = job.name.rpartition("/")
    if slash and job.kind.arn_path_parts == 2:
        return f"Solution {mark}{solution}{mark} version {version}"
    return f"{job.kind.label} {mark}{job.name}{mark}"


def _short(arn: str | None) -> str:
    """arn:...:solution/movies/3f1a2b -> 3f1a2b: what tells it from the one before (the body has the ARN)."""
    if not arn:
        return "none"
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn


def _first_change(owed: PendingNotification) -> str:
    what, before, after = owed.changes[0]
    return f"{what.lower()} {_short(after)} (was {_short(before)})"


def _outcome(job: Watched, owed: PendingNotification) -> str:
    if owed.event is not Event.TRANSITION:
        return owed.event.value
    return job.kind.outcome(owed.new_status).value


def _title(job: Watched, owed: PendingNotification, mark: str = "*") -> str:
    """The headline without the details the body carries (path, reason): chat titles stay one line. The name is
    marked for chat's bold; email has no markup."""
    what = _what(job, mark=mark)
    outcome = _outcome(job, owed)
    if job.kind.lives_on and owed.event is Event.TRANSITION:
        return _resource_headline(job, owed, what, outcome, with_details=False)
    return {
        "succeeded": f"{what} finished",
        "failed": f"{what} failed",
        "stopped": f"{what} stopped",
        "not_found": f"{what} {'no longer exists' if owed.new_status else 'does not exist in Personalize'}",
        "invalid": f"{what} was rejected by Personalize",
        "stuck": f"{what} looks stuck",
        "deleted": f"{what} was deleted",
    }.get(outcome, f"{what} is now {owed.new_status}")


def _headline(job: Watched, owed: PendingNotification) -> str:
    what = _what(job)
    if owed.event is Event.NOT_FOUND:
        if owed.new_status is None:  # tracked before it existed (--no-describe), and never created
            return f"{what} does not exist in Personalize; it is no longer watched"
        return f"{what} no longer exists; it is no longer watched"
    if owed.event is Event.INVALID:
        return f"{what} was rejected by Personalize; it is no longer watched"
    if owed.event is Event.STUCK:
        return f"{what} looks stuck: {owed.detail}"
    if owed.event is Event.DELETED:
        return f"{what} was deleted; it is no longer watched"
    if job.kind.lives_on:
        return _resource_headline(job, owed, what, _outcome(job, owed), with_details=True)
    outcome = job.kind.outcome(owed.new_status)
    if outcome is Outcome.SUCCEEDED:
        if owed.output_path:
            return f"{what} finished: {owed.output_path}"
        if owed.assessment is not None and not owed.assessment.missing:
            # "improved" or "regressed" says it finished; subjects are cut at 99 characters
            done = _verdict(owed).removeprefix(", ") or "finished"
            return f"{what} {done}: {owed.assessment.brief()}"
        return f"{what} finished ({owed.new_status})"
    if outcome is Outcome.FAILED:
        reason = " ".join((owed.failure_reason or "no reason given").split())
        return f"{what} failed: {reason}"
    if outcome is Outcome.STOPPED:
        return f"{what} stopped ({owed.new_status})"
    return f"{what} is now {owed.new_status}"


def _resource_headline(job: Watched, owed: PendingNotification, what: str, outcome: str, *, with_details: bool) -> str:
    """A resource rests, moves, or fails: what it serves now, and before, is the news."""
    reason = " ".join((owed.failure_reason or "no reason given").split())
    if owed.update:
        if outcome == "succeeded":
            if owed.assessment is not None and owed.assessment.quality is not None and with_details:
                return f"{what} updated: now serves {_short(owed.assessment.version_arn)}, {owed.assessment.summary()}"
            if owed.changes and with_details:
                return f"{what} updated: {_first_change(owed)}"
            return f"{what} updated"
        if outcome == "failed":
            return f"{what} update failed: {reason}" if with_details else f"{what} update failed"
        return f"{what} update is now {owed.new_status}"
    if outcome == "succeeded":
        if (owed.old_status or "").startswith("START") or owed.old_status == "INACTIVE":
            return f"{what} started: it serves and bills again" if with_details else f"{what} started"
        return f"{what} is active"
    if outcome == "stopped":
        return f"{what} stopped: it serves nothing and is not billed" if with_details else f"{what} stopped"
    if outcome == "failed":
        return f"{what} failed: {reason}" if with_details else f"{what} failed"
    return f"{what} is now {owed.new_status}"


def _email_text(job: Watched, owed: PendingNotification, headline: str, document: dict[str, object]) -> str:
    """A title, then what happened, the failure reason once, the details and the links, each block's values in
    one column however long its labels are."""
    happened: list[tuple[str, str]] = []
    if owed.event is Event.TRANSITION:
        happened.append((_moved(owed), _status_change(job, owed, "->")))
        happened += [(what, f"{old or 'none'} -> {new or 'none'}") for what, old, new in owed.changes]
        if document["serving"] is not None:
            happened.append(("Serving", _serving_text(bool(document["serving"]))))
    elif owed.event is Event.STUCK:
        happened += [("Status", f"{owed.new_status} (unchanged)"), ("Stuck", owed.detail or "")]
    else:
        happened += [("Last status", owed.new_status or "never seen"), ("Personalize", owed.detail or "")]
    happened.append(("When", readable_time(owed.at)))
    duration = document["durationSeconds"]
    if isinstance(duration, (int, float)) and document["terminal"] and owed.event is Event.TRANSITION:
        happened.append(("Took", f"{format_duration(duration)} (created {readable_time(job.created_at)})"))
    if owed.output_path:
        # Personalize reports the destination from the start; it holds output only once the job succeeded.
        finished = job.kind.outcome(owed.new_status) is Outcome.SUCCEEDED and owed.event is Event.TRANSITION
        happened.append(("Output" if finished else "Destination", owed.output_path))
    quality = _email_metrics(owed.assessment) if owed.assessment is not None else []
    who = _who(job)
    details = [(who, job.name), (f"{who} ARN", job.arn), ("Account", account_of(job.arn))]
    if job.parent_arn and job.kind.parent_label and not _parent_line_repeats_a_change(job, owed):
        details.append((job.kind.parent_label, job.parent_arn))
    if job.input_location:
        details.append(("Input", job.input_location))
    details += list(job.facts)
    links = [
        ("Personalize console", str(document["consoleUrl"] or f"the console of partition {job.arn.split(':')[1]}")),
        ("Open there", str(document["consoleWhere"])),
    ]
    if document["outputConsoleUrl"]:
        links.append(("Output in S3 console", str(document["outputConsoleUrl"])))
    # The title, not the headline: the headline's failure reason or output path follow in their own lines.
    lines = [_title(job, owed, mark=""), "", *_aligned(happened)]
    if owed.failure_reason:
        lines += ["", "Failure reason:", owed.failure_reason]
    lines += quality
    lines += ["", "Details", *_aligned(details), "", "Links", *_aligned(links), "", f"Notification id: {owed.id}"]
    return "\n".join(lines) + "\n"


def _email_metrics(assessment: Assessment) -> list[str]:
    """The quality verdict and a small table of the metrics, or why there are none."""
    if assessment.missing:
        return ["", f"Metrics: not available ({assessment.missing}); this notification is not sent again with them"]
    heading = f"Metrics of version {_short(assessment.version_arn)}" if assessment.quality else "Model metrics"
    lines = ["", f"Quality: {_quality_text(assessment)}"] if assessment.quality else []
    if assessment.metrics:
        lines += ["", f"{heading}:", *(f"  {row}" for row in _metrics_table(assessment))]
    return lines


def _aligned(rows: list[tuple[str, str]]) -> list[str]:
    """label: value lines, the values in one column after the longest label."""
    width = max((len(label) for label, _ in rows), default=0) + 1
    return [f"{label + ':':<{width}} {value}" for label, value in rows]


def readable_time(value: str | None) -> str:
    """2026-11-24T09:00:00.000Z -> 2026-11-24 09:00:00 UTC (or 'unknown')."""
    moment = parse_iso(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def _duration_seconds(job: Watched) -> float | None:
    start, end = parse_iso(job.created_at), parse_iso(job.updated_at)
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()
