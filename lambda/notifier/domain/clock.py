"""The time, as every part of the notifier reads it: aware, in UTC (injected where a test or the wait drives it)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
