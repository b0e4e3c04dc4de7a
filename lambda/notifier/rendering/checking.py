"""The test notification `notifier test-notify` sends, to check the webhooks after a deploy: clearly marked, about
nothing that happened. Pure."""

from __future__ import annotations

from notifier.rendering.envelope import (
    CHAT_ICONS,
    SCHEMA_VERSION,
    TEST_EVENT,
    Notification,
    assemble,
)

TEST_DETAIL_TYPE = "Personalize Job Notifier Test"


def render_test_notice(notice_id: str, at: str, account: str, region: str, stack: str) -> Notification:
    """A notice that says it is a test, which stack sent it and how; PagerDuty gets it as an info event."""
    headline = f"Test notification from the Personalize notifier ({stack}): this channel receives its notices"
    rows = [("Stack", stack), ("Account", account), ("Region", region), ("Sent by", "notifier test-notify")]
    document: dict[str, object] = {
        "version": SCHEMA_VERSION,
        "id": notice_id,
        "event": TEST_EVENT,
        "detailType": TEST_DETAIL_TYPE,
        "at": at,
        "account": account,
        "region": region,
        "stack": stack,
        "outcome": TEST_EVENT,
        "terminal": False,
    }
    chat = {
        "version": "1.0",
        "source": "custom",
        "id": notice_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{CHAT_ICONS['succeeded']} Test notification from the Personalize notifier",
            "description": "\n".join(
                ["Nothing happened: this checks that notices reach this channel.", *(f"*{k}:* {v}" for k, v in rows)]
            ),
            "nextSteps": [],
            "keywords": ["test", stack, region],
        },
        "metadata": {
            "threadId": f"test/{stack}",
            "summary": headline,
            "eventType": "NotifierTest",
            "relatedResources": [],
            "additionalContext": {"notificationId": notice_id, "outcome": TEST_EVENT},
        },
    }
    return assemble(
        id=notice_id,
        subject=f"Personalize notifier: test notification ({stack})",
        headline=headline,
        email=f"{headline}\n\n" + "\n".join(f"{k}: {v}" for k, v in rows) + "\n",
        chat=chat,
        attributes={"event": TEST_EVENT, "outcome": TEST_EVENT, "jobKind": "test", "terminal": "false"},
        document=document,
        resource=f"arn:aws:cloudformation:{region}:{account}:stack/{stack}",
    )
