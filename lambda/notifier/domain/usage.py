"""What a campaign or recommender serves against what it bills for. Pure.

An ACTIVE campaign bills for its provisioned minimum every hour, used or not ("It sets the minimum billing charge
for the campaign while it is active", CreateCampaign's minProvisionedTPS in botocore's Personalize model); a
recommender for the greater of its minRecommendationRequestsPerSecond and the requests it served, averaged over an
hour (CreateRecommender, the same model). Personalize publishes the requests each one answers to CloudWatch
(`AWS/Personalize`, GetRecommendations and GetPersonalizedRanking, Sum only: "CloudWatch metrics for Amazon
Personalize"). One reading is their hourly sums over a window; the verdict:

- `idle`: ACTIVE for the whole window and not one request in it;
- `underused`: its busiest hour's average stayed under a share of the minimum the whole window;
- `in_use`: otherwise; told only when it ends an idle or underused spell;
- `usage_unknown`: the requests could not be read (told once, until they can be read again).

A resource ACTIVE for less than the window is not judged: it has not had the chance to be used yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from notifier.domain.clock import iso, parse_iso

HOUR_SECONDS = 3600

# Where Personalize counts the requests each resource answered: a campaign GetRecommendations and, for ranking
# recipes, GetPersonalizedRanking, by CampaignArn ("CloudWatch metrics for Amazon Personalize"); a recommender
# GetRecommendations by RecommenderArn (as aws-samples/amazon-personalize-monitor reads recommenders). Sum only.
USAGE_NAMESPACE = "AWS/Personalize"
REQUEST_METRICS: dict[str, tuple[tuple[str, str], ...]] = {
    "campaign": (("GetRecommendations", "CampaignArn"), ("GetPersonalizedRanking", "CampaignArn")),
    "recommender": (("GetRecommendations", "RecommenderArn"),),
}

DEFAULT_IDLE_HOURS = 24
DEFAULT_UNDERUSED_PERCENT = 25.0
DEFAULT_REPEAT_HOURS = 168
DEFAULT_READ_EVERY = timedelta(hours=1)

# CloudWatch keeps one-hour datapoints for 455 days (CloudWatch concepts, "Metrics retention"); a window this
# long is what a person would read anyway (idleHours is checked against it when deployed).
LONGEST_WINDOW_HOURS = 24 * 90


class Usage(StrEnum):
    """The verdict; also the notice's `event` and `outcome` message attributes."""

    IN_USE = "in_use"
    IDLE = "idle"
    UNDERUSED = "underused"
    UNKNOWN = "usage_unknown"


@dataclass(frozen=True)
class UsageRule:
    """How long a window is judged, what share of the minimum is too little, how often a spell is told again."""

    idle_hours: int = DEFAULT_IDLE_HOURS
    underused_percent: float = DEFAULT_UNDERUSED_PERCENT
    repeat_hours: int = DEFAULT_REPEAT_HOURS
    read_every: timedelta = DEFAULT_READ_EVERY


@dataclass(frozen=True)
class Reading:
    """One resource's requests over a window of whole hours, against its provisioned minimum.

    `minimum` is None where its describe did not say it (a record tracked from a listing); `active_hours` is how
    much of the window it was ACTIVE, so billed. `unreadable` says why the requests could not be read.
    """

    read_at: str
    window_hours: int
    active_hours: float
    minimum: float | None
    requests: float = 0.0
    peak_hour_requests: float = 0.0
    unreadable: str | None = None

    @property
    def peak_tps(self) -> float:
        """The busiest hour's average requests per second."""
        return self.peak_hour_requests / HOUR_SECONDS

    @property
    def average_tps(self) -> float:
        return self.requests / (self.window_hours * HOUR_SECONDS)

    @property
    def utilization_percent(self) -> float | None:
        """The window's average requests per second, in percent of the minimum it bills for."""
        if not self.minimum:
            return None
        return self.average_tps / self.minimum * 100

    @property
    def peak_percent(self) -> float | None:
        if not self.minimum:
            return None
        return self.peak_tps / self.minimum * 100

    @property
    def billed_tps_hours(self) -> float | None:
        """What it billed at least in the window: its minimum for every hour it was ACTIVE."""
        if self.minimum is None:
            return None
        return self.minimum * min(self.active_hours, self.window_hours)

    @property
    def covering_minimum(self) -> int:
        """The smallest minimum that would have covered the busiest hour (Personalize takes whole numbers, 1 up)."""
        return max(1, math.ceil(self.peak_tps))


@dataclass(frozen=True)
class UsageState:
    """What the record remembers: the last reading and verdict, and what was last told and when."""

    reading: Reading
    verdict: Usage | None  # None: not judged (ACTIVE for less than the window)
    told: Usage | None = None
    told_at: str | None = None


def reading_of(
    hourly: list[float] | None,
    *,
    now: datetime,
    active_since: datetime | None,
    minimum: float | None,
    window_hours: int,
    unreadable: str | None = None,
) -> Reading:
    """The window's hourly sums (None: unreadable) as one reading taken at `now`."""
    since = active_since or now
    active_hours = max(0.0, (now - since).total_seconds() / HOUR_SECONDS)
    base = Reading(
        read_at=iso(now),
        window_hours=window_hours,
        active_hours=round(min(active_hours, float(window_hours)), 3),
        minimum=minimum,
        unreadable=unreadable,
    )
    if hourly is None:
        return base
    values = [max(0.0, value) for value in hourly]
    return Reading(
        read_at=base.read_at,
        window_hours=window_hours,
        active_hours=base.active_hours,
        minimum=minimum,
        requests=sum(values),
        peak_hour_requests=max(values, default=0.0),
    )


def judge(reading: Reading, rule: UsageRule) -> Usage | None:
    """The verdict of one reading (None: ACTIVE for less than the window, not judged yet)."""
    if reading.unreadable is not None:
        return Usage.UNKNOWN
    if reading.active_hours < reading.window_hours:
        return None
    if reading.requests == 0:
        return Usage.IDLE
    if reading.minimum and reading.peak_tps < reading.minimum * rule.underused_percent / 100:
        return Usage.UNDERUSED
    return Usage.IN_USE


def to_tell(state: UsageState | None, verdict: Usage | None, now: datetime, rule: UsageRule) -> Usage | None:
    """The notice a verdict owes, given what was told before (None: nothing to tell).

    Idle and underused are told when they begin and again every `repeat_hours` while they last; in use only when it
    ends one of them; unknown once, until a reading succeeds.
    """
    told = state.told if state else None
    if verdict in (Usage.IDLE, Usage.UNDERUSED):
        if told is not verdict:
            return verdict
        told_at = parse_iso(state.told_at) if state else None
        if told_at is None or now - told_at >= timedelta(hours=rule.repeat_hours):
            return verdict
        return None
    if verdict is Usage.IN_USE:
        return Usage.IN_USE if told in (Usage.IDLE, Usage.UNDERUSED) else None
    if verdict is Usage.UNKNOWN:
        return Usage.UNKNOWN if (state.verdict if state else None) is not Usage.UNKNOWN else None
    return None


def next_state(
    state: UsageState | None, reading: Reading, verdict: Usage | None, told: Usage | None, now: datetime
) -> UsageState:
    if told is not None and told is not Usage.UNKNOWN:
        return UsageState(reading=reading, verdict=verdict, told=told, told_at=iso(now))
    # Unreadable is told once (by the verdict), never in place of the spell told before it: an idle spell told,
    # then an unreadable hour, then idle again is not told twice, and its end is still told.
    return UsageState(
        reading=reading, verdict=verdict, told=state.told if state else None, told_at=state.told_at if state else None
    )


def window(now: datetime, hours: int) -> tuple[datetime, datetime]:
    """The last `hours` whole hours before now: CloudWatch's hourly datapoints start on the hour."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=hours), end


@dataclass(frozen=True)
class UsageClock:
    """The table's one item that says when usage is read next (every resource at once, an hour after the last
    reading): the poll that finds it due claims it with a conditional write, so overlapping polls never both read.
    `backfilled`: every resource at rest written before there was a serving partition has been read and put in it;
    until then each reading reads the whole table."""

    next_read_at: str
    version: int = 0
    last_read_at: str | None = None
    backfilled: bool = False
