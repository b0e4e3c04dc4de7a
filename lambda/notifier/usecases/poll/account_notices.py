"""Accounts the notifier cannot read, in a poll: each named once in the report, told once to every channel
(notifier.domain.reachability decides), and its mark cleared once one of its jobs is read again."""

from __future__ import annotations

from notifier.domain import reachability
from notifier.domain.reachability import AccountMark
from notifier.observability import logger
from notifier.ports import AccountUnreachable, NotifierError
from notifier.rendering.accounts import render_unreachable
from notifier.usecases.poll.cycle import Cycle


def unreachable(cycle: Cycle, exc: AccountUnreachable) -> None:
    report = cycle.report
    if exc.account not in report.unreachable:
        report.problems.append(f"cannot read account {exc.account}: {exc}")
        logger.warning(
            "Another account cannot be read; its jobs stay tracked and are tried next poll",
            extra={"account": exc.account, "role_arn": exc.role_arn, "error_code": exc.code},
        )
    report.unreachable[exc.account] = exc


def reconcile(cycle: Cycle, marks: dict[str, AccountMark]) -> None:
    """One notice per unreachable account (claimed, published everywhere once, recorded); the mark of an account
    read again is cleared, so its next outage is told."""
    report = cycle.report
    for account, exc in report.unreachable.items():
        mark = marks.get(account)
        claimed = reachability.to_tell(
            mark, account, exc.role_arn, str(exc), now=cycle.clock(), lease=cycle.settings.publish_lease
        )
        if claimed is None or not _save(cycle, claimed, mark.version if mark else None):
            continue
        notification = render_unreachable(claimed)
        reached = cycle.publish(notification, claimed.delivered, f"account {account}")
        told = reachability.after_telling(claimed, reached, len(cycle.channels), cycle.clock())
        if _save(cycle, told, claimed.version) and told.told:
            report.notifications_published += 1
            report.published.append(notification)
    for account, mark in marks.items():
        if account in report.accounts_read and account not in report.unreachable:
            try:
                cycle.store.clear_mark(mark)
            except NotifierError:
                continue  # changed meanwhile, or the table is busy: the next poll that reads it clears it
            logger.info("Another account can be read again", extra={"account": account})


def _save(cycle: Cycle, mark: AccountMark, expected_version: int | None) -> bool:
    return cycle.attempt(
        lambda: cycle.store.save_mark(mark, expected_version),
        f"that account {mark.account} cannot be read",
        mark.account,
    )
