"""Email and chat delivery for moto's SNS, which accepts such subscriptions but delivers nothing to them.

Each publish to an `email` subscription, or to an `https` one (how Amazon Q Developer in chat
applications subscribes a Slack channel to a topic), lands in `inbox`, chosen exactly as moto chooses
what an SQS subscriber gets: the subscription's filter policy first, then the protocol's body of a
MessageStructure=json message. Tests and the demo read what a person's inbox or Slack channel would get.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from notifier_local.moto_internals import Subscription, replace


@dataclass(frozen=True)
class Mail:
    to: str  # the email address, or the https endpoint
    protocol: str
    subject: str | None
    body: str
    attributes: dict[str, str]


class Inbox:
    def __init__(self) -> None:
        self._mail: list[Mail] = []
        self._lock = threading.Lock()

    def deliver(self, mail: Mail) -> None:
        with self._lock:
            self._mail.append(mail)

    def for_address(self, address: str) -> list[Mail]:
        with self._lock:
            return [mail for mail in self._mail if mail.to == address]

    def all(self) -> list[Mail]:
        with self._lock:
            return list(self._mail)

    def take(self) -> list[Mail]:
        """Everything delivered since the last take, in order (and forget it)."""
        with self._lock:
            taken, self._mail = self._mail, []
            return taken

    def clear(self) -> None:
        with self._lock:
            self._mail.clear()


INBOX_PROTOCOLS = ("email", "https")
# What Amazon Q Developer in chat applications subscribes to a topic for a Slack channel.
CHATBOT_ENDPOINT = "https://global.sns-api.chatbot.amazonaws.com"
inbox = Inbox()
_moto_publish: Any = None  # moto's own, set by install


def _publish(self: Subscription, message: str, message_id: str, subject: str | None = None, **kwargs: Any) -> None:
    if self.protocol not in INBOX_PROTOCOLS:
        return _moto_publish(self, message, message_id, subject, **kwargs)
    attributes = kwargs.get("message_attributes") or {}
    matcher = self._filter_policy_matcher
    if matcher is not None and not matcher.matches(attributes, message):
        return None
    if kwargs.get("message_structure") == "json":
        message = self._parse_message_structure(message, self.protocol)
    inbox.deliver(
        Mail(
            to=self.endpoint,
            protocol=self.protocol,
            subject=subject,
            body=message,
            attributes={name: str(value.get("Value")) for name, value in attributes.items()},
        )
    )
    return None


def install() -> None:
    """Route email publishes into `inbox` (idempotent)."""
    global _moto_publish  # noqa: PLW0603
    _moto_publish = replace(Subscription, "publish", _publish)


install()
