"""CloudTrail's record of a Personalize call, as EventBridge delivers it ("AWS API Call via CloudTrail"):
a Create... call starts watching what it made; an Update/Start/Stop/Delete call wakes the resource it changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.kinds import KINDS, Kind

# eventName -> the kind whose ARN the call carries (under the kind's ARN key): in the response of a Create...
# call, in the request of the calls that change a resource.
CREATE_EVENTS: dict[str, Kind] = {kind.create_event: kind for kind in KINDS.values()}
CHANGE_EVENTS: dict[str, Kind] = {event: kind for kind in KINDS.values() for event in kind.change_events}
WATCHED_CALLS = sorted({*CREATE_EVENTS, *CHANGE_EVENTS})  # what the auto-tracking rule listens for


class IgnoredEvent(ValueError):
    """An event that names nothing to watch or wake; the message says why (logged, not raised to Lambda)."""


@dataclass(frozen=True)
class ApiCall:
    name: str  # the eventName: CreateCampaign, StopRecommender ...
    arn: str

    @property
    def creates(self) -> bool:
        return self.name in CREATE_EVENTS

    @property
    def deletes(self) -> bool:
        return self.name.startswith("Delete")


def call_from_cloudtrail(event: Mapping[str, Any]) -> ApiCall:
    """The call and the ARN it created or changed; IgnoredEvent for anything else (a failed call, odd shapes)."""
    detail = event.get("detail") if isinstance(event, Mapping) else None
    if not isinstance(detail, Mapping):
        raise IgnoredEvent("the event has no detail object")
    name = detail.get("eventName")
    if not isinstance(name, str) or name not in WATCHED_CALLS:
        raise IgnoredEvent(f"eventName {name!r} is not a call this notifier watches")
    if detail.get("errorCode"):
        raise IgnoredEvent(f"{name} failed ({detail.get('errorCode')}: {detail.get('errorMessage')}); nothing changed")
    kind = CREATE_EVENTS.get(name) or CHANGE_EVENTS[name]
    key = kind.describe_arn_parameter
    # A Create... call's response names what it made; the other calls name their target in the request
    # (Delete... calls have no response at all).
    places = ("responseElements",) if name in CREATE_EVENTS else ("requestParameters", "responseElements")
    arn = None
    for place in places:
        section = detail.get(place)
        if isinstance(section, Mapping) and isinstance(section.get(key), str) and section.get(key):
            arn = section[key]
            break
    if arn is None:
        raise IgnoredEvent(f"{name} event carries no {key} in its {' or '.join(places)}")
    try:
        parsed = parse_arn(arn)
    except InvalidArn as exc:
        raise IgnoredEvent(str(exc)) from None
    if parsed.kind is not kind:
        raise IgnoredEvent(f"{name} names {arn!r}, which is not a {kind.label.lower()}")
    return ApiCall(name=name, arn=arn)
