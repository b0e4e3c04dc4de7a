"""SNS adapter: one publish per notification, a body per protocol, attributes for filter policies."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from notifier.messages import Notification
from notifier.ports import PublishFailed


class SnsPublisher:
    def __init__(self, topic_arn: str, client: Any) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def publish(self, notification: Notification) -> None:
        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Subject=notification.subject,
                Message=json.dumps(notification.bodies),
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
