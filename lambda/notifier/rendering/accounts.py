"""The notice of an account the notifier cannot read, in every protocol. Pure."""

from __future__ import annotations

from notifier.domain.reachability import AccountMark
from notifier.rendering.envelope import (
    CHAT_DESCRIPTION_MAX_CHARS,
    CHAT_ICONS,
    CHAT_SUMMARY_MAX_CHARS,
    REASON_CAP_CHARS,
    SCHEMA_VERSION,
    Notification,
    assemble,
)
from notifier.rendering.text import aligned, readable_time, shorten

UNREACHABLE_DETAIL_TYPE = "Personalize Job Notifier Account Unreachable"


def render_unreachable(mark: AccountMark) -> Notification:
    """The one notice of an account the notifier cannot read: which account, the role it tried, why, and what
    mends it."""
    headline = f"Cannot read account {mark.account}: its jobs stay tracked, unread until its reader role works"
    reason = shorten(mark.reason, REASON_CAP_CHARS)
    document: dict[str, object] = {
        "version": SCHEMA_VERSION,
        "id": mark.notification_id,
        "event": "unreachable",
        "detailType": UNREACHABLE_DETAIL_TYPE,
        "at": mark.since,
        "account": mark.account,
        "roleArn": mark.role_arn,
        "reason": reason,
        "outcome": "unreachable",
        "terminal": False,
    }
    role = mark.role_arn.rsplit("/", 1)[-1]
    stack = role.removesuffix("-Reader")
    steps = [
        f"Deploy the member stack ({stack}-Member, from the notifier's synth) in account {mark.account}, or check "
        "that it is there and made the role (in its ReaderRoleRegion)",
        f"Check that {role} there trusts the notifier's poll and track roles, with the external ID the notifier "
        "sends if one is set",
        f"Check that no SCP of account {mark.account} denies {role} Personalize's Describe and List actions",
    ]
    email = [
        f"Cannot read account {mark.account}",
        "",
        *aligned([("Account", mark.account), ("Role tried", mark.role_arn), ("Since", readable_time(mark.since))]),
        "",
        "Why:",
        reason,
        "",
        "Its jobs stay tracked and are tried again every poll. This is said once, and again in about a week if "
        "it stays so.",
        "",
        "What to do:",
        *(f"- {step}" for step in steps),
        "",
        f"Notification id: {mark.notification_id}",
    ]
    chat = {
        "version": "1.0",
        "source": "custom",
        "id": mark.notification_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{CHAT_ICONS['unreachable']} Cannot read account *{mark.account}*",
            "description": shorten(
                f"*Role tried:* `{mark.role_arn}`\n*Why:*\n```{reason}```\n"
                "Its jobs stay tracked and are tried again every poll.",
                CHAT_DESCRIPTION_MAX_CHARS,
            ),
            "nextSteps": steps,
            "keywords": ["account", "unreachable", mark.account],
        },
        "metadata": {
            "threadId": f"account/{mark.account}",
            "summary": shorten(headline, CHAT_SUMMARY_MAX_CHARS),
            "eventType": "AccountUnreachable",
            "relatedResources": [mark.role_arn],
            "additionalContext": {"notificationId": mark.notification_id, "outcome": "unreachable"},
        },
    }
    return assemble(
        id=mark.notification_id,
        subject=f"Personalize notifier: cannot read account {mark.account}",
        headline=headline,
        email="\n".join(email) + "\n",
        chat=chat,
        attributes={
            "status": "UNREACHABLE",
            "jobKind": "account",
            "terminal": "false",
            "event": "unreachable",
            "outcome": "unreachable",
        },
        document=document,
        resource=mark.role_arn,
    )
