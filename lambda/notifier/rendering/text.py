"""Words and numbers as notifications write them: cut to a limit, subjects SNS takes, aligned columns, durations,
times. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC

from notifier.domain.watched import parse_iso

SUBJECT_MAX_CHARS = 99  # SNS: ASCII, under 100 characters, no line breaks


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines whose cells line up, two spaces apart (a header is a row like the others)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


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


def short_id(arn: str | None) -> str:
    """arn:...:solution/movies/3f1a2b -> 3f1a2b: what tells it from the one before (the body has the ARN)."""
    if not arn:
        return "none"
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    """label: value lines, the values in one column after the longest label."""
    width = max((len(label) for label, _ in rows), default=0) + 1
    return [f"{label + ':':<{width}} {value}" for label, value in rows]


def readable_time(value: str | None) -> str:
    """2026-11-24T09:00:00.000Z -> 2026-11-24 09:00:00 UTC (or 'unknown')."""
    moment = parse_iso(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"
