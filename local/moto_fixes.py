"""Where moto differs from AWS in a way this project meets, set right (each fix says what AWS does).

- EventBridge: a scheduled rule (ScheduleExpression, no EventPattern) fires only on its schedule; moto
  matches it against every put event and then fails on its Lambda target ("Expr not defined"). The
  stack's poll schedule lives on the default bus, where the notifier puts its events.
"""

from __future__ import annotations

from typing import Any

from moto.events.models import Rule

_moto_send_to_targets = Rule.send_to_targets


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    pattern = getattr(self, "event_pattern", None)
    if self.scheduled_expression and not getattr(pattern, "_raw_pattern", None):
        return None  # a schedule, not a pattern: put events never match it
    return _moto_send_to_targets(self, original_event, transform_input)


def install() -> None:
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]


install()
