"""Where notifications go: SNS (people, chat, queues) and EventBridge (pipelines). One adapter each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from notifier.ports import PublishFailed, TaskGone, TaskRefusedByKey
from notifier.rendering.envelope import Notification
from notifier.rendering.webhooks import webhook_bodies

# The part of a custom EventBridge source that cannot be used: AWS reserves "aws." sources.
RESERVED_SOURCE_PREFIX = "aws."


class SnsPublisher:
    """One publish per notification, a body per protocol, attributes for subscription filter policies."""

    name = "sns"

    def __init__(self, topic_arn: str, client: Any) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def publish(self, notification: Notification) -> None:
        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=notification.subject,
                Message=notification.message,
                MessageStructure="json",
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in notification.attributes.items()
                },
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise PublishFailed(f"{error.get('Code')}: {error.get('Message')} (topic {self._topic_arn})") from exc
        except BotoCoreError as exc:
            raise PublishFailed(f"{exc} (topic {self._topic_arn})") from exc


class EventBridgePublisher:
    """Every notification as an event ("Personalize Dataset Export Job State Change"), so pipelines can react."""

    name = "events"

    def __init__(self, bus_name: str, source: str, client: Any, webhooks: tuple[str, ...] = ()) -> None:
        self._bus_name = bus_name
        self._source = source
        self._client = client
        self._webhooks = webhooks

    def publish(self, notification: Notification) -> None:
        detail = dict(notification.document)
        if self._webhooks:
            # Each deployed webhook's body, which its rule sends on as it is (notifier.rendering.webhooks).
            detail["webhooks"] = webhook_bodies(notification.chat, notification.document, self._webhooks)
        entry = {
            "Source": self._source,
            "DetailType": str(notification.document["detailType"]),
            # UTF-8, not \u escapes: PutEvents counts an entry's bytes ("Calculating PutEvents event entry size"),
            # and an escaped emoji takes twelve of them.
            "Detail": json.dumps(detail, sort_keys=True, ensure_ascii=False),
            "Resources": [notification.resource],
            "EventBusName": self._bus_name,
        }
        try:
            response = self._client.put_events(Entries=[entry])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise PublishFailed(f"{error.get('Code')}: {error.get('Message')} (bus {self._bus_name})") from exc
        except BotoCoreError as exc:
            raise PublishFailed(f"{exc} (bus {self._bus_name})") from exc
        if response.get("FailedEntryCount"):
            [failed] = response["Entries"]
            raise PublishFailed(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')} (bus {self._bus_name})")


class StepFunctionsAnswers:
    """SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat; a token whose task ended is TaskGone (nothing to
    retry), any other refusal PublishFailed (tried again next poll). Tokens are secrets of the execution: never
    logged."""

    GONE = ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")
    # The execution's customer managed key refuses (SendTaskSuccess/SendTaskFailure errors, botocore's model):
    # KmsThrottlingException passes, these do not.
    KEY_REFUSED = ("KmsAccessDeniedException", "KmsInvalidStateException")

    def __init__(self, client: Callable[[], Any]) -> None:
        self._make, self._client = client, None  # made at the first answer: most polls answer none

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make()
        return self._client

    def succeed(self, token: str, output: str) -> None:
        self._call("send_task_success", taskToken=token, output=output)

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        data = {name: value for name, value in (("error", error), ("cause", cause)) if value is not None}
        self._call("send_task_failure", taskToken=token, **data)

    def heartbeat(self, token: str) -> None:
        self._call("send_task_heartbeat", taskToken=token)

    def _call(self, operation: str, **params: str) -> None:
        try:
            getattr(self.client, operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code"))
            if code in self.GONE:
                raise TaskGone(f"{code}: {error.get('Message')}") from exc
            if code in self.KEY_REFUSED:
                raise TaskRefusedByKey(f"{code}: {error.get('Message')} (Step Functions)") from exc
            raise PublishFailed(f"{code}: {error.get('Message')} (Step Functions)") from exc
        except BotoCoreError as exc:
            raise PublishFailed(f"{exc} (Step Functions)") from exc
