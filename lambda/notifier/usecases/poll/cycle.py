"""What the modules of one poll share: the store, the channels, the clock, the settings, the report and the
expected cadences read, and the one way every record is written (a conditional write whose outcome the report
counts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from notifier.domain.cadence import Expectation
from notifier.domain.watched import Watched
from notifier.observability import logger
from notifier.ports import NotifierError, Publisher, PublishFailed, StaleVersion, WatchStore
from notifier.rendering.envelope import Notification
from notifier.usecases.poll.report import PollReport, PollSettings


@dataclass
class Cycle:
    store: WatchStore
    channels: Sequence[Publisher]
    settings: PollSettings
    clock: Callable[[], datetime]
    report: PollReport
    expectations: dict[str, Expectation] = field(default_factory=dict)  # the expected cadences read, by ARN

    def save(self, job: Watched, expected_version: int) -> bool:
        """Replace the record if it is still the version read; a lost race or a store error is counted, not raised."""
        return self.attempt(lambda: self.store.save(job, expected_version), f"the record of {job.arn}", job.arn)

    def attempt(self, write: Callable[[], None], what: str, about: str) -> bool:
        """One conditional write (a job's record, an account's mark, an expectation): a lost race (another poll
        wrote first and owns what follows) or a store error is counted and logged, not raised."""
        try:
            write()
        except StaleVersion:
            self.report.lost_races += 1
            logger.info("Another poll changed this item first; leaving it to that poll", extra={"job_arn": about})
            return False
        except NotifierError as exc:
            self.report.store_errors += 1
            self.report.problems.append(f"could not write {what}: {exc}")
            logger.warning("Could not write to the table", extra={"job_arn": about, "error": str(exc)})
            return False
        return True

    def publish(self, notification: Notification, reached: Sequence[str], about: str) -> tuple[str, ...]:
        """Publish to every channel it has not reached yet, in order, stopping at the first that refuses: the
        channels it reached (with those before), so a retry never sends to one twice."""
        arrived = list(reached)
        for channel in self.channels:
            if channel.name in arrived:
                continue  # arrived there on an earlier attempt: never twice
            try:
                channel.publish(notification)
            except PublishFailed as exc:
                self.report.publish_errors += 1
                self.report.problems.append(f"publish to {channel.name} failed for {about}: {exc}")
                logger.warning(
                    "Publish failed; the notification stays owed and is retried next poll",
                    extra={
                        "about": about,
                        "notification_id": notification.id,
                        "channel": channel.name,
                        "error": str(exc),
                    },
                )
                break
            arrived.append(channel.name)
        return tuple(arrived)
