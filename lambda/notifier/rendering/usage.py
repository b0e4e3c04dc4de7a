"""A usage notice (idle, underused, in use again, unreadable) in words, rows and JSON fields. Pure.

The calls that would lower the minimum or stop paying are named for the reader to make: the notifier never makes
them (UpdateCampaign's minProvisionedTPS, UpdateRecommender's recommenderConfig, StopRecommender, which halts
billing, and the Delete calls: botocore's Personalize model).
"""

from __future__ import annotations

from notifier.domain.usage import Reading, Usage
from notifier.domain.watched import PendingNotification, Watched


def unit(job: Watched) -> str:
    """What its minimum is counted in: a campaign's transactions (minProvisionedTPS), a recommender's requests
    (minRecommendationRequestsPerSecond), per second."""
    return "TPS" if job.kind.name == "campaign" else "RPS"


def figure(value: float) -> str:
    """1234 -> 1,234; 0.25 -> 0.25; 2.0 -> 2 (the notices' and `notifier usage`'s one way of writing a rate)."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    if value < 0.01:  # 10 requests an hour is 0.0028 TPS: two significant digits, not "0"
        return f"{value:.2g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def amount(value: float) -> str:
    """What was billed, in TPS-hours: to a tenth (240, 2.5, 0), never a rate's small digits."""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}".removesuffix(".0")


def _window(hours: int) -> str:
    return f"{hours // 24} d" if hours % 24 == 0 and hours >= 48 else f"{hours} h"


def headline(job: Watched, owed: PendingNotification, what: str) -> str:
    """What a subject has room for (SNS cuts at 100 characters): the verdict and its one figure."""
    reading, event = owed.usage, Usage(owed.event.value)
    if reading is None or reading.unreadable:
        return f"{what}: its requests could not be read"
    per, window = unit(job), _window(reading.window_hours)
    if event is Usage.IDLE:
        bills = f", it bills {figure(reading.minimum * 24)} {per}-hours a day" if reading.minimum else ""
        return f"{what} is idle: no requests in {window}{bills}"
    if event is Usage.UNDERUSED:
        return (
            f"{what} is underused: busiest hour {figure(reading.peak_tps)} of {figure(reading.minimum or 0)} "
            f"{per} ({figure(reading.peak_percent or 0)} %)"
        )
    return (
        f"{what} is in use again: {figure(reading.requests)} requests in {window}, busiest hour "
        f"{figure(reading.peak_tps)} {per}"
    )


def sentence(job: Watched, owed: PendingNotification, what: str) -> str:
    """What the body says first: what it served against what it bills for, in full."""
    reading, event = owed.usage, Usage(owed.event.value)
    if reading is None or reading.unreadable:
        why = reading.unreadable if reading else "no reading"
        return f"{what}: its requests could not be read ({why}); told again once they can be"
    per, window = unit(job), _window(reading.window_hours)
    if event is Usage.IDLE:
        if reading.minimum is None:
            return f"{what} served no requests in {window}; it bills its minimum for every hour it is ACTIVE"
        return (
            f"{what} served no requests in {window}; it bills at least {figure(reading.minimum)} {per} for every "
            f"hour it is ACTIVE ({figure(reading.minimum * 24)} {per}-hours a day)"
        )
    if event is Usage.UNDERUSED:
        return (
            f"{what} is underused: its busiest hour averaged {figure(reading.peak_tps)} {per}, "
            f"{figure(reading.peak_percent or 0)} % of its minimum {figure(reading.minimum or 0)} {per} "
            f"(a minimum of {reading.covering_minimum} would have covered it)"
        )
    return headline(job, owed, what)


def title(owed: PendingNotification, what: str) -> str:
    """The headline without its figures: chat titles stay one line."""
    return {
        Usage.IDLE: f"{what} is idle",
        Usage.UNDERUSED: f"{what} is underused",
        Usage.IN_USE: f"{what} is in use again",
        Usage.UNKNOWN: f"{what}: usage could not be read",
    }[Usage(owed.event.value)]


def rows(job: Watched, reading: Reading) -> list[tuple[str, str]]:
    """The reading, a row per figure, for email and chat."""
    if reading.unreadable:
        return [("Could not read", reading.unreadable), ("Window", _window(reading.window_hours))]
    per = unit(job)
    found = [("Requests", f"{figure(reading.requests)} in the last {_window(reading.window_hours)}")]
    if reading.requests:
        found += [
            ("Busiest hour", f"{figure(reading.peak_tps)} {per} on average"),
            ("Average", f"{figure(reading.average_tps)} {per}"),
        ]
    if reading.minimum is not None:
        found.append(("Minimum", f"{figure(reading.minimum)} {per} (what it bills for, used or not)"))
        if reading.requests:
            found.append(("Utilization", f"{figure(reading.utilization_percent or 0)} % of the minimum on average"))
        found += [
            (
                "Billed",
                f"at least {amount(reading.billed_tps_hours or 0)} {per}-hours in the window "
                f"({figure(reading.active_hours)} h ACTIVE)",
            ),
        ]
    return found


def next_steps(job: Watched, owed: PendingNotification) -> list[str]:
    """The calls that would stop paying for what nobody uses (made by the reader, never by the notifier)."""
    reading = owed.usage
    if owed.event.value not in (Usage.IDLE, Usage.UNDERUSED) or reading is None:
        return []
    event = Usage(owed.event.value)
    lower = reading.covering_minimum
    if job.kind.name == "campaign":
        steps = [
            "Lower its minimum: aws personalize update-campaign --campaign-arn "
            f"{job.arn} --min-provisioned-tps {lower}",
        ]
        if event is Usage.IDLE:
            steps.append(f"Or delete it: aws personalize delete-campaign --campaign-arn {job.arn}")
        return steps
    steps = [
        "Lower its minimum: aws personalize update-recommender --recommender-arn "
        f"{job.arn} --recommender-config minRecommendationRequestsPerSecond={lower}",
    ]
    if event is Usage.IDLE:
        steps.append(
            f"Or stop it (stopping halts billing): aws personalize stop-recommender --recommender-arn {job.arn}"
        )
    return steps


# The poll's log line of each reading, one a resource an hour, with its figures: what the dashboard's utilization
# table queries (infra.monitoring), so the stack reads it without loading the poll.
USAGE_LOG_MESSAGE = "Usage read"


def figures(reading: Reading) -> dict[str, object]:
    """A reading's figures by the names programs get (the JSON document's `usage`, the poll's log line)."""
    return {
        "readAt": reading.read_at,
        "windowHours": reading.window_hours,
        "requests": reading.requests,
        "peakTps": round(reading.peak_tps, 6),
        "averageTps": round(reading.average_tps, 6),
        "minimum": reading.minimum,
        "utilizationPercent": None if reading.utilization_percent is None else round(reading.utilization_percent, 3),
        "billedTpsHours": reading.billed_tps_hours,
        "activeHours": reading.active_hours,
        "coveringMinimum": reading.covering_minimum,
        "unreadable": reading.unreadable,
    }


def document_fields(owed: PendingNotification) -> dict[str, object]:
    """What programs get: the reading's figures by name (present only on usage notices)."""
    if owed.usage is None:
        return {}
    return {"usage": figures(owed.usage), "usageBefore": owed.usage_before.value if owed.usage_before else None}
