"""Did the pipeline stall? Expected cadences and the one notice when one falls due. Pure.

"A successful import into this dataset group every 26 hours", "a new ACTIVE version of this solution every
8 days", "this campaign serves a version no older than 10 days": an expectation is met by what the notifier
sees finish (a watched import, version or campaign update) and, where nothing was watched, by one look through
Personalize's lists when it falls due, never per poll. Falling due is told once (`overdue`), again only after a
further period, and its end once (`recovered`). An expectation lives in the table beside the records, in the
active index: the poll reads it with its one query and acts only when it is due or met.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.watched import iso, parse_iso

_NAMESPACE = uuid.UUID("1f3c9a52-7d64-4b8e-a0f1-6c2e9b7d5a13")  # notice ids derived from a period
_DATASET = re.compile(r"arn:[\w-]+:personalize:[\w-]+:\d{12}:dataset/[^/]+/[A-Z_]+")
_DURATION = re.compile(r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>s|m|min|h|d|w)?")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
SHORTEST, LONGEST = timedelta(minutes=5), timedelta(days=366)
# What a look at an expectation falling due lists beyond the kinds' own List calls: a dataset group's datasets.
CADENCE_LISTS = ("ListDatasets",)


class Target(StrEnum):
    """What an expectation may be about, and what meets it."""

    DATASET_GROUP = "dataset-group"  # a successful import into any of its datasets
    DATASET = "dataset"  # a successful import into it
    SOLUTION = "solution"  # a new ACTIVE version
    CAMPAIGN = "campaign"  # it serves a version no older than the period

    def expected_every(self, every: str) -> str:
        """What is expected, in words: "a successful import every 26 h"."""
        if self is Target.CAMPAIGN:
            return f"serving a solution version created within the last {every}"
        what = {
            Target.DATASET_GROUP: "a successful import into one of its datasets",
            Target.DATASET: "a successful import",
            Target.SOLUTION: "a new ACTIVE solution version",
        }[self]
        return f"{what} every {every}"


class NotExpectable(ValueError):
    """An ARN an expectation cannot be about, or a period that is not one; the message names the value."""


def target_of(arn: str) -> Target:
    if _DATASET.fullmatch(arn):
        return Target.DATASET
    try:
        kind = parse_arn(arn).kind.name
    except InvalidArn as exc:
        raise NotExpectable(f"{arn!r} is not the ARN of a dataset group, dataset, solution or campaign") from exc
    if kind not in {target.value for target in Target}:
        raise NotExpectable(f"{arn} is a {kind}: expectations are about a dataset group, dataset, solution or campaign")
    return Target(kind)


def parse_duration(
    text: str, bounds: tuple[timedelta, timedelta] = (SHORTEST, LONGEST), examples: str = "26h, 8d, 90m or 2w"
) -> timedelta:
    """`26h`, `8d`, `90m`, `90s`, `2w` or seconds, within `bounds` (an expectation's: 5 minutes to a year, as a
    poll runs at most once a minute). An error gives `examples` (the help's own, where a command asks)."""
    matched = _DURATION.fullmatch(text.strip().lower())
    if not matched:
        raise NotExpectable(f"{text!r} is not a duration (like {examples})")
    period = timedelta(seconds=float(matched["amount"]) * _UNITS[matched["unit"]])
    low, high = bounds
    if not low <= period <= high:
        raise NotExpectable(f"{text!r} is outside {_in_words(low)} to {_in_words(high)} (like {examples})")
    return period


def _in_words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def format_period(seconds: int) -> str:
    """The period as people say it: 26 h, 8 d, 90 min."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class Notice(StrEnum):
    OVERDUE = "overdue"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class OwedNotice:
    """A notice decided and stored before it is published (the record protocol of docs/how-it-works.md), with
    what it says fixed when it was decided: a retry sends the same id and the same words, whatever happened since."""

    event: Notice
    at: str
    id: str
    due_at: str
    last_met: str | None = None
    last_met_by: str | None = None
    detail: str | None = None  # why Personalize could not be asked, when the look failed
    delivered: tuple[str, ...] = ()
    lease_until: str | None = None


@dataclass(frozen=True)
class Expectation:
    """One expected cadence: what of, how often, when it was last met and what it told."""

    arn: str
    target: Target
    every_seconds: int
    since: str  # when it was set: the first period starts then
    version: int = 0
    last_met: str | None = None  # when what meets it last happened
    last_met_by: str | None = None  # the job, version or campaign update that met it
    overdue_since: str | None = None  # the due time that passed unmet (told), until met again
    remind_at: str | None = None  # while overdue: when another notice is due
    owed: tuple[OwedNotice, ...] = ()
    declared: bool = False  # from the deploy-time option (the poll keeps it as declared)
    looked_at: str | None = None  # the last look through Personalize's lists for what met it

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=self.every_seconds)

    @property
    def due_at(self) -> datetime:
        start = parse_iso(self.last_met) or parse_iso(self.since)
        assert start is not None  # since is always written
        return start + self.every

    @property
    def overdue(self) -> bool:
        return self.overdue_since is not None

    def notice(self, event: Notice, now: datetime, detail: str | None = None) -> OwedNotice:
        """The notice of this moment: its id derived from what it is about and the period it ends or begins."""
        due = iso(self.due_at)
        seed = f"{self.arn}#{event.value}#{due}#{self.last_met or self.since}"
        return OwedNotice(
            event=event,
            at=iso(now),
            id=str(uuid.uuid5(_NAMESPACE, seed)),
            due_at=due,
            last_met=self.last_met,
            last_met_by=self.last_met_by,
            detail=detail,
        )


def expect(
    arn: str, every: timedelta, now: datetime, *, last_met: str | None = None, declared: bool = False
) -> Expectation:
    """A new expectation (or one set again: its period replaced, what was seen kept by the caller)."""
    return Expectation(
        arn=arn,
        target=target_of(arn),
        every_seconds=int(every.total_seconds()),
        since=iso(now),
        version=1,
        last_met=last_met,
        declared=declared,
    )


def met(expectation: Expectation, at: str, by: str, now: datetime) -> Expectation | None:
    """What meets it happened at `at`: the clock restarts there; an overdue one owes one `recovered`. None when
    it says nothing new. A campaign's is the creation of the version it serves now, later or not (a rollback to
    an older version makes it older)."""
    rolled_back = expectation.target is Target.CAMPAIGN and by != expectation.last_met_by
    if expectation.last_met is not None and at <= expectation.last_met and not rolled_back:
        return None
    if at == expectation.last_met and by == expectation.last_met_by:
        return None
    changed = replace(expectation, version=expectation.version + 1, last_met=at, last_met_by=by)
    if not expectation.overdue or changed.due_at <= now:
        return changed  # not overdue, or met by something already too old to end the stall
    recovered = replace(changed, overdue_since=None, remind_at=None)
    return replace(recovered, owed=(*changed.owed, recovered.notice(Notice.RECOVERED, now)))


def needs_look(expectation: Expectation, now: datetime) -> bool:
    """Due (or due a reminder) and not looked at since: one look through the lists before telling."""
    if expectation.owed:
        return False
    due = _next_due(expectation)
    looked = parse_iso(expectation.looked_at)
    return due <= now and (looked is None or looked < due)


def after_look(expectation: Expectation, now: datetime, failed: str | None = None) -> Expectation:
    """Looked (or, `failed`, could not look: told so), and nothing meeting it was found since it was last met:
    overdue, once a period."""
    looked = replace(expectation, version=expectation.version + 1, looked_at=iso(now))
    due = _next_due(expectation)
    if due > now:
        return looked
    return replace(
        looked,
        overdue_since=expectation.overdue_since or iso(expectation.due_at),
        remind_at=iso(_after(due, expectation.every, now)),
        owed=(*looked.owed, expectation.notice(Notice.OVERDUE, now, failed)),
    )


def _after(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The next due time after now, in whole periods from `due` (a poll that ran late skips none twice)."""
    periods = max(1, int((now - due) / every) + 1)
    return due + every * periods


def _next_due(expectation: Expectation) -> datetime:
    if expectation.overdue and expectation.remind_at:
        return parse_iso(expectation.remind_at) or expectation.due_at
    return expectation.due_at


def claim(expectation: Expectation, now: datetime, lease: timedelta) -> Expectation | None:
    """The next owed notice claimed under a lease, or None: nothing owed, or another poll holds it."""
    if not expectation.owed:
        return None
    first = expectation.owed[0]
    held = parse_iso(first.lease_until)
    if held is not None and held > now:
        return None
    claimed = replace(first, lease_until=iso(now + lease))
    return replace(expectation, version=expectation.version + 1, owed=(claimed, *expectation.owed[1:]))


def after_telling(expectation: Expectation, reached: tuple[str, ...], every_channel: int) -> Expectation:
    """Where the first owed notice got: dropped once every channel has it, else kept with where it arrived (and
    its lease given back: what is still owed is for the very next poll)."""
    first, rest = expectation.owed[0], expectation.owed[1:]
    if len(reached) >= every_channel:
        return replace(expectation, version=expectation.version + 1, owed=rest)
    kept = replace(first, delivered=tuple(dict.fromkeys((*first.delivered, *reached))), lease_until=None)
    return replace(expectation, version=expectation.version + 1, owed=(kept, *rest))


def met_by(kind: str, arn: str, parent_arn: str | None) -> list[str]:
    """The ARNs whose expectations a success of this job or version meets: an import meets its dataset's and its
    dataset group's; a version its solution's; a campaign's move to a version its own."""
    if kind == "dataset-import-job" and parent_arn and _DATASET.fullmatch(parent_arn):
        head, _, path = parent_arn.partition(":dataset/")
        return [parent_arn, f"{head}:dataset-group/{path.split('/', 1)[0]}"]
    if kind == "solution-version":
        head, _, path = arn.partition(":solution/")
        return [f"{head}:solution/{path.split('/', 1)[0]}"]
    if kind == "campaign":
        return [arn]
    return []
