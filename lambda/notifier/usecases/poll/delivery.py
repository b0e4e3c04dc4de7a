"""Delivering what a record owes: each notification published to every channel once, in order, and the record
told how far it got (the protocol of docs/how-it-works.md: stored as pending before it is published, cleared after)."""

from __future__ import annotations

from notifier.domain import watched
from notifier.domain.watched import Event, Watched
from notifier.observability import logger
from notifier.rendering.envelope import Notification
from notifier.rendering.jobs import render
from notifier.usecases.poll.cycle import Cycle
from notifier.usecases.poll.report import Finished


def deliver(cycle: Cycle, job: Watched) -> Watched:
    """Publish owed notifications in order, each to every channel it has not reached; record progress."""
    report = cycle.report
    published, reached = 0, ()
    for owed in job.pending:
        notification = render(job, owed)
        reached = cycle.publish(notification, owed.delivered, job.arn)
        if len(reached) < len(cycle.channels):
            break
        published, reached = published + 1, ()
        report.notifications_published += 1
        report.published.append(notification)
        if notification.attributes["terminal"] == "true" and owed.event is Event.TRANSITION:
            report.finished.append(finished(cycle, job, notification))
    if not published and reached == (job.pending[0].delivered if job.pending else ()) and not job.lease_until:
        return job  # nothing new arrived anywhere and no lease to give back: the record stays as it was
    recorded = watched.after_publish(job, published, cycle.clock(), cycle.settings.retention, reached)
    cycle.save(recorded, job.version)
    return recorded


def republish(cycle: Cycle, job: Watched) -> Watched | None:
    """What an earlier poll owed: claimed under a lease (so overlapping polls never both send it), delivered."""
    claimed = watched.claim_pending(job, cycle.clock(), cycle.settings.publish_lease)
    if not cycle.save(claimed, job.version):
        return None
    logger.info("Re-publishing owed notifications", extra={"job_arn": job.arn, "owed": len(job.pending)})
    return deliver(cycle, claimed)


def finished(cycle: Cycle, job: Watched, notification: Notification) -> Finished:
    """A job told finished: what the dashboard shows (kind, outcome, how long, how soon told)."""
    changed = watched.parse_iso(job.updated_at)
    duration = notification.document.get("durationSeconds")
    return Finished(
        kind=job.kind.name,
        outcome=notification.attributes["outcome"],
        duration_seconds=float(duration) if isinstance(duration, int | float) else None,
        notice_seconds=max(0.0, (cycle.clock() - changed).total_seconds()) if changed else None,
    )
