"""A job's or resource's notice as the versioned JSON programs get (SQS, Lambda, EventBridge). Pure."""

from __future__ import annotations

from notifier.domain.arns import account_of
from notifier.domain.watched import PendingNotification, Watched
from notifier.rendering import model_metrics, usage, wording
from notifier.rendering.envelope import SCHEMA_VERSION
from notifier.rendering.links import console_url, console_where, s3_console_url


def event_document(job: Watched, owed: PendingNotification) -> dict[str, object]:
    """The versioned JSON event for programs (SQS, Lambda, EventBridge)."""
    outcome = wording.outcome_of(job, owed)
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
        "terminal": wording.is_terminal(job, owed),
        "createdAt": job.created_at,
        "lastUpdatedAt": job.updated_at,
        "durationSeconds": wording.duration_seconds(job) if wording.timed_since_creation(job, owed) else None,
        "outputPath": owed.output_path,
        "failureReason": owed.failure_reason,
        "detail": owed.detail,
        "update": owed.update,
        "changes": [{"what": what, "before": before, "after": after} for what, before, after in owed.changes],
        "serving": wording.is_serving(job, owed),
        "consoleUrl": console_url(job),
        "consoleWhere": console_where(job),
        "outputConsoleUrl": s3_console_url(owed.output_path) if owed.output_path else None,
        **(model_metrics.document_fields(owed.assessment) if owed.assessment else {}),
        **usage.document_fields(owed),
    }
