"""A job's or resource's notice as email text: a title, what happened, the failure reason once, details and
links. Pure."""

from __future__ import annotations

from notifier.domain.arns import account_of
from notifier.domain.kinds import Outcome
from notifier.domain.watched import USAGE_EVENTS, Event, PendingNotification, Watched
from notifier.rendering import model_metrics, usage, wording
from notifier.rendering.text import aligned, format_duration, readable_time


def email_text(job: Watched, owed: PendingNotification, headline: str, document: dict[str, object]) -> str:
    """A title, then what happened, the failure reason once, the details and the links, each block's values in
    one column however long its labels are."""
    happened: list[tuple[str, str]] = []
    if owed.event is Event.TRANSITION:
        happened.append((wording.change_label(owed), wording.status_change(job, owed, "->")))
        happened += [(what, f"{old or 'none'} -> {new or 'none'}") for what, old, new in owed.changes]
        if document["serving"] is not None:
            happened.append(("Serving", wording.serving_text(bool(document["serving"]))))
    elif owed.event is Event.STUCK:
        happened += [("Status", f"{owed.new_status} (unchanged)"), ("Stuck", owed.detail or "")]
    elif owed.event in USAGE_EVENTS:
        happened += [("Status", owed.new_status or ""), *(usage.rows(job, owed.usage) if owed.usage else [])]
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
    quality = model_metrics.email_lines(owed.assessment) if owed.assessment is not None else []
    who = wording.detail_label(job)
    details = [(who, job.name), (f"{who} ARN", job.arn), ("Account", account_of(job.arn))]
    if job.parent_arn and job.kind.parent_label and not wording.parent_line_repeats_a_change(job, owed):
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
    lines = [wording.title(job, owed, mark=""), ""]
    if owed.event in USAGE_EVENTS:
        lines += [
            wording.usage_sentence(job, owed),
            "",
        ]  # the sentence with its figures: what it serves against what it bills for
    lines += aligned(happened)
    if owed.failure_reason:
        lines += ["", "Failure reason:", owed.failure_reason]
    lines += quality
    steps = usage.next_steps(job, owed)
    if steps:
        lines += ["", "What you can do (the notifier changes nothing):", *(f"  {step}" for step in steps)]
    lines += ["", "Details", *aligned(details), "", "Links", *aligned(links), "", f"Notification id: {owed.id}"]
    return "\n".join(lines) + "\n"
