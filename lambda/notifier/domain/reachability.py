"""Member accounts the notifier cannot read, told once each. Pure.

When another account's role cannot be assumed or refuses (no role there yet, its trust broken, an SCP), every
job of that account fails alike: one notice names the account, the role tried and why, instead of one per
job. The jobs keep their state and are read again each poll; the account's mark is cleared once one of its
jobs is read, so a later outage is told again. A mark lives in the table beside the jobs, in the active
index, so the poll that reads the jobs reads the marks with the same query; it is told with the jobs'
protocol: claimed under a lease, published to every channel once, then recorded as told. An outage that
lasts is told again after a week (the mark expires).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from notifier.domain.watched import iso, parse_iso

REMINDER_AFTER = timedelta(days=7)
_NAMESPACE = uuid.UUID("9d7bd0a4-4f0e-4a36-9c61-8f1f3c3b4d52")  # notification ids derived from an outage


@dataclass(frozen=True)
class AccountMark:
    """An account found unreachable: since when, why, and how far its one notice got."""

    account: str
    role_arn: str
    reason: str
    since: str
    version: int = 0
    notified_at: str | None = None
    delivered: tuple[str, ...] = ()  # channels the notice reached (each once)
    lease_until: str | None = None  # a poll publishing the notice holds it until then

    @property
    def notification_id(self) -> str:
        """The same id on every attempt to tell this outage, so a subscriber can drop a repeat."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.account}/{self.since}"))

    @property
    def told(self) -> bool:
        return self.notified_at is not None


def to_tell(
    mark: AccountMark | None, account: str, role_arn: str, reason: str, *, now: datetime, lease: timedelta
) -> AccountMark | None:
    """The mark a poll claims to tell this outage, or None: told already, or being told by another poll."""
    if mark is None:
        return AccountMark(
            account=account, role_arn=role_arn, reason=reason, since=iso(now), version=1, lease_until=iso(now + lease)
        )
    if mark.told:
        return None
    held = parse_iso(mark.lease_until)
    if held is not None and held > now:
        return None
    return replace(mark, version=mark.version + 1, reason=reason, role_arn=role_arn, lease_until=iso(now + lease))


def after_telling(mark: AccountMark, reached: tuple[str, ...], every_channel: int, now: datetime) -> AccountMark:
    """Where the notice got: told once every channel has it, else owed (the lease given back, retried next poll)."""
    done = len(reached) >= every_channel
    return replace(
        mark,
        version=mark.version + 1,
        delivered=reached,
        notified_at=iso(now) if done else None,
        lease_until=None,
    )


def expires_at(mark: AccountMark) -> datetime | None:
    """When the table forgets a told mark, so that an outage still going on is told again."""
    told = parse_iso(mark.notified_at)
    return told + REMINDER_AFTER if told else None
