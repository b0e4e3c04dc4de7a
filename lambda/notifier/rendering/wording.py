"""What a job's or resource's notice says, whatever the protocol: its title and headline, its outcome, what it serves,
its status change. Pure."""

from __future__ import annotations

from notifier.domain.kinds import Outcome
from notifier.domain.quality import Quality
from notifier.domain.usage import Usage
from notifier.domain.watched import USAGE_EVENTS, Event, PendingNotification, Watched, parse_iso
from notifier.rendering import usage
from notifier.rendering.text import short_id


def verdict_suffix(owed: PendingNotification) -> str:
    """A title's note of how good the model is, where it was compared: `, regressed` (`, regressed on new data`)."""
    assessment = owed.assessment
    if assessment is None or assessment.quality not in (Quality.IMPROVED, Quality.REGRESSED):
        return ""
    return f", {assessment.verdict}"


def is_terminal(job: Watched, owed: PendingNotification) -> bool:
    """The wait is over: a job ended, a resource (or its update) came to rest, or watching ended."""
    if owed.event is Event.TRANSITION:
        return job.kind.is_terminal(owed.new_status)
    return owed.event in (Event.NOT_FOUND, Event.INVALID, Event.DELETED)  # a stuck one is still running


def timed_since_creation(job: Watched, owed: PendingNotification) -> bool:
    """A job's timestamps measure its run; a resource's only its creation (later changes are not timed)."""
    if not job.kind.lives_on:
        return True
    rested_before = any(job.kind.is_terminal(change.status) for change in job.history[:-1])
    return not owed.update and owed.event is Event.TRANSITION and not rested_before


def is_serving(job: Watched, owed: PendingNotification) -> bool | None:
    """Whether a campaign or recommender now answers recommendation requests (and bills for them)."""
    if not job.kind.serves or owed.event is not Event.TRANSITION or owed.update:
        return None
    outcome = job.kind.outcome(owed.new_status)
    if outcome is Outcome.SUCCEEDED:
        return True
    if outcome is Outcome.STOPPED or (owed.new_status or "").startswith("DELETE"):
        return False
    return None


def serving_text(serving: bool) -> str:
    # StopRecommender/StartRecommender (API reference): stopping "halts billing and automatic retraining".
    return "yes, it answers recommendation requests and bills" if serving else "no, and it is not billed"


def _status_before(owed: PendingNotification) -> str:
    """The status it moved from; an update first seen already under way (or done) has none to show."""
    return owed.old_status or ("" if owed.update else "not yet seen")


def status_change(job: Watched, owed: PendingNotification, arrow: str, mark: str = "") -> str:
    """OLD -> NEW; an update seen only once it was done says what that status means for the update."""
    before = _status_before(owed)
    if before:
        return f"{before} {arrow} {mark}{owed.new_status}{mark}"
    meaning = {"succeeded": " (the update is done)", "failed": " (the update failed)"}.get(outcome_of(job, owed), "")
    return f"{mark}{owed.new_status}{mark}{meaning}"


def parent_line_repeats_a_change(job: Watched, owed: PendingNotification) -> bool:
    """A campaign's update names its new solution version as a change: the details need not name it again."""
    return any(what == job.kind.parent_label for what, _, _ in owed.changes)


def change_label(owed: PendingNotification) -> str:
    return "Update" if owed.update else "Status"


def detail_label(job: Watched) -> str:
    """What the details call it: a job is a job; a solution version or a resource is what it is."""
    return "Job" if job.kind.name.endswith("-job") else job.kind.label


def usage_sentence(job: Watched, owed: PendingNotification) -> str:
    """A usage notice's first line: what it served against what it bills for, in full."""
    return usage.sentence(job, owed, _kind_and_name(job))


def _kind_and_name(job: Watched, mark: str = "") -> str:
    """Its kind and name, the name marked (chat's bold). A solution version without a name of its own is
    named by its solution (its ARN's last part is an ID: solution/movies/3f1a2b)."""
    solution, slash, version = job.name.rpartition("/")
    if slash and job.kind.arn_path_parts == 2:
        return f"Solution {mark}{solution}{mark} version {version}"
    return f"{job.kind.label} {mark}{job.name}{mark}"


def _first_change(owed: PendingNotification) -> str:
    what, before, after = owed.changes[0]
    return f"{what.lower()} {short_id(after)} (was {short_id(before)})"


def outcome_of(job: Watched, owed: PendingNotification) -> str:
    if owed.event is Event.IN_USE and owed.usage_before is Usage.IDLE:
        return "recovered"  # it ends an idle spell a failure-only subscriber was told of (event: in_use)
    if owed.event is not Event.TRANSITION:
        return owed.event.value
    return job.kind.outcome(owed.new_status).value


def title(job: Watched, owed: PendingNotification, mark: str = "*") -> str:
    """The headline without the details the body carries (path, reason): chat titles stay one line. The name is
    marked for chat's bold; email has no markup."""
    what = _kind_and_name(job, mark=mark)
    outcome = outcome_of(job, owed)
    if owed.event in USAGE_EVENTS:
        return usage.title(owed, what)
    if job.kind.lives_on and owed.event is Event.TRANSITION:
        return _resource_headline(job, owed, what, outcome, with_details=False)
    return {
        "succeeded": f"{what} finished",
        "failed": f"{what} failed",
        "stopped": f"{what} stopped",
        "not_found": f"{what} {'no longer exists' if owed.new_status else 'does not exist in Personalize'}",
        "invalid": f"{what} was rejected by Personalize",
        "stuck": f"{what} looks stuck",
        "deleted": f"{what} was deleted",
    }.get(outcome, f"{what} is now {owed.new_status}")


def headline(job: Watched, owed: PendingNotification) -> str:
    what = _kind_and_name(job)
    if owed.event is Event.NOT_FOUND:
        if owed.new_status is None:  # tracked before it existed (--no-describe), and never created
            return f"{what} does not exist in Personalize; it is no longer watched"
        return f"{what} no longer exists; it is no longer watched"
    if owed.event is Event.INVALID:
        return f"{what} was rejected by Personalize; it is no longer watched"
    if owed.event is Event.STUCK:
        return f"{what} looks stuck: {owed.detail}"
    if owed.event is Event.DELETED:
        return f"{what} was deleted; it is no longer watched"
    if owed.event in USAGE_EVENTS:
        return usage.headline(job, owed, what)
    if job.kind.lives_on:
        return _resource_headline(job, owed, what, outcome_of(job, owed), with_details=True)
    outcome = job.kind.outcome(owed.new_status)
    if outcome is Outcome.SUCCEEDED:
        if owed.output_path:
            return f"{what} finished: {owed.output_path}"
        if owed.assessment is not None and not owed.assessment.missing:
            # "improved" or "regressed" says it finished; subjects are cut at 99 characters
            done = verdict_suffix(owed).removeprefix(", ") or "finished"
            return f"{what} {done}: {owed.assessment.brief()}"
        return f"{what} finished ({owed.new_status})"
    if outcome is Outcome.FAILED:
        reason = " ".join((owed.failure_reason or "no reason given").split())
        return f"{what} failed: {reason}"
    if outcome is Outcome.STOPPED:
        return f"{what} stopped ({owed.new_status})"
    return f"{what} is now {owed.new_status}"


def _resource_headline(job: Watched, owed: PendingNotification, what: str, outcome: str, *, with_details: bool) -> str:
    """A resource rests, moves, or fails: what it serves now, and before, is the news."""
    reason = " ".join((owed.failure_reason or "no reason given").split())
    if owed.update:
        if outcome == "succeeded":
            if owed.assessment is not None and owed.assessment.quality is not None and with_details:
                return (
                    f"{what} updated: now serves {short_id(owed.assessment.version_arn)}, {owed.assessment.summary()}"
                )
            if owed.changes and with_details:
                return f"{what} updated: {_first_change(owed)}"
            return f"{what} updated"
        if outcome == "failed":
            return f"{what} update failed: {reason}" if with_details else f"{what} update failed"
        return f"{what} update is now {owed.new_status}"
    if outcome == "succeeded":
        if (owed.old_status or "").startswith("START") or owed.old_status == "INACTIVE":
            return f"{what} started: it serves and bills again" if with_details else f"{what} started"
        return f"{what} is active"
    if outcome == "stopped":
        return f"{what} stopped: it serves nothing and is not billed" if with_details else f"{what} stopped"
    if outcome == "failed":
        return f"{what} failed: {reason}" if with_details else f"{what} failed"
    return f"{what} is now {owed.new_status}"


def duration_seconds(job: Watched) -> float | None:
    start, end = parse_iso(job.created_at), parse_iso(job.updated_at)
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()
