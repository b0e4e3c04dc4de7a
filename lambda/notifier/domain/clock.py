"""The time, as every part of the notifier reads it: aware, in UTC (injected where a test or the wait drives it)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC timestamps as sortable ISO-8601 strings with milliseconds."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(value: str | None) -> datetime | None:
    """Our ISO-8601 timestamps back to datetimes; None for absent or unreadable ones."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
