"""Tells people the moment their Amazon Personalize jobs finish, and where the output landed or why they failed.

For pipelines, `wait_for` blocks until jobs and resources settle (notifier.app.waiting):

    from notifier import wait_for
    results = wait_for([arn], timeout=6 * 3600)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["NotKnown", "Settled", "WaitTimedOut", "wait_for"]

if TYPE_CHECKING:
    from notifier.app.waiting import wait_for
    from notifier.usecases.waiting import NotKnown, Settled, WaitTimedOut


def __getattr__(name: str) -> Any:
    """`wait_for` and its types, imported when first asked for: the Lambda and the CLI's help never load them."""
    if name == "wait_for":
        from notifier.app.waiting import wait_for  # noqa: PLC0415 - the point: loaded only when asked for

        return wait_for
    if name in __all__:
        from notifier.usecases import waiting  # noqa: PLC0415 - the point: loaded only when asked for

        return getattr(waiting, name)
    raise AttributeError(f"module 'notifier' has no attribute {name!r}")
