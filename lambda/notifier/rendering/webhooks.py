"""A notice as each incoming webhook takes it: Slack, Microsoft Teams (Workflows), Discord, Google Chat, and a
PagerDuty Events API v2 event. Pure.

Each body is made from what chat already says (the custom notification of Amazon Q Developer in chat applications:
title, description in Slack's markdown, next steps) and the document programs get, so a webhook says the same as
chat: the title, the status, the output path or the failure reason verbatim, the quality, the account. The bodies
travel in the EventBridge event (`webhooks`), and a rule per webhook sends its own to the service unchanged (an
API destination, the body selected by InputPath): no text is put together in CloudFormation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from notifier.rendering.text import shorten

# What each service takes, at most (a longer text is cut with a marker, as chat's is):
# Slack shows up to 40,000 characters of `text` and truncates the rest (chat.postMessage, "Truncating content");
# chat's own description limit is kept, far under it.
SLACK_TEXT_MAX_CHARS = 8_000
# Discord: a message's `content` is at most 2,000 characters (Execute Webhook, Discord developer docs).
DISCORD_CONTENT_MAX_CHARS = 2_000
# Google Chat: a message is at most 32,000 bytes (Google Chat API, "Message" resource): 8,000 characters stay
# under it even when every character takes four bytes in UTF-8.
GOOGLE_CHAT_TEXT_MAX_CHARS = 8_000
# Teams: an incoming webhook's message is at most 28 KB (Microsoft Teams, "Create an Incoming Webhook", its
# limits); the card's texts together stay under a quarter of it in characters for the same reason.
TEAMS_TEXT_MAX_CHARS = 7_000
# PagerDuty Events API v2: `summary` at most 1,024 characters, `dedup_key` at most 255.
PAGERDUTY_SUMMARY_MAX_CHARS = 1_024
PAGERDUTY_DEDUP_KEY_MAX_CHARS = 255
# The failure reason and chat's text in the event's custom details: enough to act on, the whole in the console.
PAGERDUTY_DETAIL_MAX_CHARS = 4_000

SERVICES = ("slack", "teams", "discord", "googleChat", "pagerDuty")
# A field every body of the service has: what a rule matches to know the event carries one (EventBridge's
# "exists" matches leaves only, "Content filtering in Amazon EventBridge event patterns").
ALWAYS_PRESENT = {
    "slack": "text",
    "teams": "type",
    "discord": "content",
    "googleChat": "text",
    "pagerDuty": "event_action",
}

# The outcomes chat marks with a Slack emoji code, as the other services show them (they do not read the codes).
EMOJI = {
    ":white_check_mark:": "\u2705",
    ":x:": "\u274c",
    ":octagonal_sign:": "\U0001f6d1",
    ":hourglass_flowing_sand:": "\u23f3",
    ":grey_question:": "\u2754",
    ":no_entry:": "\u26d4",
    ":warning:": "\u26a0\ufe0f",
    ":wastebasket:": "\U0001f5d1\ufe0f",
    ":no_entry_sign:": "\U0001f6ab",
    ":alarm_clock:": "\u23f0",
    ":arrows_counterclockwise:": "\U0001f504",
    ":money_with_wings:": "\U0001f4b8",
    ":chart_with_downwards_trend:": "\U0001f4c9",
}

# PagerDuty severities (critical, error, warning, info), from what the notice says.
SEVERITY = {
    "failed": "error",
    "not_found": "error",
    "invalid": "error",
    "unreachable": "error",
    "overdue": "warning",
    "stuck": "warning",
    "idle": "warning",
    "underused": "warning",
    "usage_unknown": "warning",
}
# What ends an incident PagerDuty opened: the cadence met again, the resource in use again.
RESOLVING_OUTCOMES = ("recovered", "in_use")

_FENCE = "```"
_BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")


def webhook_bodies(
    chat: Mapping[str, object], document: Mapping[str, object], services: Sequence[str] = SERVICES
) -> dict[str, dict[str, object]]:
    """These services' bodies for one notice (the event carries those of the webhooks deployed)."""
    notice = _Notice.of(chat, document)
    return {service: _RENDERERS[service](notice) for service in services}


@dataclass(frozen=True)
class _Notice:
    """What chat says, in parts."""

    title: str
    description: str
    steps: list[str]
    summary: str
    document: Mapping[str, object]

    @classmethod
    def of(cls, chat: Mapping[str, object], document: Mapping[str, object]) -> _Notice:
        content = chat["content"]
        metadata = chat["metadata"]
        assert isinstance(content, dict) and isinstance(metadata, dict)
        return cls(
            title=str(content["title"]),
            description=str(content["description"]),
            steps=[str(step) for step in content.get("nextSteps", [])],
            summary=str(metadata["summary"]),
            document=document,
        )

    @property
    def outcome(self) -> str:
        return str(self.document.get("outcome"))

    @property
    def plain_title(self) -> str:
        """The title without chat's bold marks (each service bolds it whole)."""
        return self.title.replace("*", "")

    @property
    def link(self) -> str | None:
        """Where to look: the output a success wrote, else the resource in the console."""
        output, console = self.document.get("outputConsoleUrl"), self.document.get("consoleUrl")
        url = (output or console) if self.outcome == "succeeded" else (console or output)
        return str(url) if url else None


def fit(head: str, body: str, tail: str, limit: int) -> str:
    """head, body and tail in at most `limit` characters: the body is cut (with a marker) to make room, and a
    code block it was cut inside is closed."""
    parts = [part for part in (head, tail) if part]
    room = limit - sum(len(part) for part in parts) - 2 * len(parts) - len(_FENCE) - 1
    cut = shorten(body, max(room, 0))
    if cut != body and cut.count(_FENCE) % 2:
        cut += "\n" + _FENCE
    return "\n".join(part for part in (head, cut, tail) if part)


def _with_emoji(text: str) -> str:
    for code, emoji in EMOJI.items():
        text = text.replace(code, emoji)
    return text


def _steps(steps: list[str], bullet: str, bold: Callable[[str], str]) -> str:
    return "\n".join([bold("Next steps:"), *(f"{bullet} {step}" for step in steps)]) if steps else ""


def _fences_on_their_own_lines(text: str) -> str:
    """Code blocks opened and closed on lines of their own: Discord reads a word right after the opening fence as
    the block's language, and hides it."""
    parts = text.split(_FENCE)
    for index in range(1, len(parts), 2):  # the insides of the blocks
        parts[index] = "\n" + parts[index].strip("\n") + "\n"
    return _FENCE.join(parts)


def _slack_escaped(text: str) -> str:
    """Slack reads &, < and > as markup: escaped as its docs ask ("Escaping text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(notice: _Notice) -> dict[str, object]:
    head = _slack_escaped(f"*{notice.plain_title}*")
    tail = _slack_escaped(_steps(notice.steps, "•", lambda words: f"*{words}*"))
    return {"text": fit(head, _slack_escaped(notice.description), tail, SLACK_TEXT_MAX_CHARS)}


def _double_bold(text: str) -> str:
    """Slack's *bold* as Discord and Adaptive Cards write it, **bold** (one asterisk is italics there)."""
    return _BOLD.sub(r"**\1**", text)


def _discord(notice: _Notice) -> dict[str, object]:
    head = f"**{_with_emoji(notice.plain_title)}**"
    tail = _steps(notice.steps, "-", lambda words: f"**{words}**")
    content = fit(head, _fences_on_their_own_lines(_double_bold(notice.description)), tail, DISCORD_CONTENT_MAX_CHARS)
    # No mention in a failure reason pings anyone (@everyone, a role, a user): the message mentions no one.
    return {"content": content, "allowed_mentions": {"parse": []}}


def _google_chat(notice: _Notice) -> dict[str, object]:
    """Google Chat reads Slack's *bold*, `code` and ``` blocks the same way; `<users/all>` in a failure reason
    would mention everyone in the space (Google Chat, "Format messages"), so no text of ours can."""
    head = f"*{_with_emoji(notice.plain_title)}*"
    tail = _steps(notice.steps, "•", lambda words: f"*{words}*")
    text = fit(head, _fences_on_their_own_lines(notice.description), tail, GOOGLE_CHAT_TEXT_MAX_CHARS)
    return {"text": text.replace("<users/", "<\u200busers/")}


def _teams(notice: _Notice) -> dict[str, object]:
    """An Adaptive Card, the only message a Teams Workflows webhook posts: the title, a fact per `*Label:* value`
    line, code blocks (the failure reason) in monospace, the next steps, a button to the console."""
    body: list[dict[str, object]] = [
        {
            "type": "TextBlock",
            "text": _with_emoji(notice.plain_title),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    text = fit("", notice.description, "", TEAMS_TEXT_MAX_CHARS)
    facts: list[dict[str, str]] = []
    for kind, chunk in _chunks(text):
        if kind == "fact":
            label, value = chunk
            facts.append({"title": label, "value": _double_bold(value).replace("`", "")})
            continue
        if facts:
            body.append({"type": "FactSet", "facts": facts})
            facts = []
        if kind == "code":
            body.append({"type": "TextBlock", "text": chunk, "fontType": "Monospace", "wrap": True})
        else:
            body.append({"type": "TextBlock", "text": _double_bold(chunk).replace("`", ""), "wrap": True})
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if notice.steps:
        steps = "\n".join(f"- {step.replace('`', '')}" for step in notice.steps)
        body.append({"type": "TextBlock", "text": f"**Next steps:**\n\n{steps}", "wrap": True})
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": TEAMS_CARD_VERSION,
        "body": body,
    }
    if notice.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the console", "url": notice.link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# An Adaptive Card version Teams renders ("Teams is also limited to version 1.5", Microsoft's Adaptive Cards
# overview): 1.4 has every element used here; the tests validate the cards against its JSON schema.
TEAMS_CARD_VERSION = "1.4"
_FACT = re.compile(r"^\*([^*\n]+):\*\s?(.*)$")


def _chunks(description: str) -> list[tuple[str, object]]:
    """chat's description as facts (`*Label:* value`), code blocks and other lines, in order."""
    found: list[tuple[str, object]] = []
    code: list[str] | None = None  # the lines of the code block being read
    for line in description.split("\n"):
        if code is not None:
            inside, fence, _ = line.partition(_FENCE)
            code.append(inside)
            if fence:
                found.append(("code", "\n".join(code)))
                code = None
            continue
        before, fence, after = line.partition(_FENCE)
        if before.strip():
            found.append(_line(before.strip()))
        if not fence:
            continue
        if _FENCE in after:  # a block on one line
            found.append(("code", after.partition(_FENCE)[0]))
        else:
            code = [after] if after else []
    if code is not None:
        found.append(("code", "\n".join(code)))
    return found


def _line(line: str) -> tuple[str, object]:
    fact = _FACT.match(line)
    if fact and fact.group(2):
        return ("fact", (fact.group(1), fact.group(2)))
    return ("text", line)


def incident_key(document: Mapping[str, object]) -> str:
    """What PagerDuty groups alerts under, so that the notice that ends a spell resolves the incident its start
    opened: an idle resource's, an overdue cadence's, an unreachable account's; a job's notice is its own."""
    outcome, event = str(document.get("outcome")), str(document.get("event"))
    if document.get("usage") is not None or event in ("idle", "underused", "in_use", "usage_unknown"):
        key = f"usage:{document.get('jobArn')}"
    elif event in ("overdue", "recovered") and document.get("arn"):
        key = f"cadence:{document['arn']}"
    elif outcome == "unreachable":
        key = f"account:{document.get('account')}"
    else:
        key = str(document.get("id"))
    if len(key) <= PAGERDUTY_DEDUP_KEY_MAX_CHARS:
        return key
    return f"{key.split(':', 1)[0]}:{hashlib.sha256(key.encode()).hexdigest()}"


def _pager_duty(notice: _Notice) -> dict[str, object]:
    """A PagerDuty Events API v2 event without its routing key, which the rule adds (it is a secret, kept out of
    the event): trigger, or resolve for what ends a spell."""
    document = notice.document
    resolving = notice.outcome in RESOLVING_OUTCOMES or document.get("event") == "in_use"
    source = document.get("jobArn") or document.get("arn") or document.get("roleArn") or document.get("account")
    reason = document.get("failureReason") or document.get("reason")
    details = {
        "notificationId": document.get("id"),
        "status": document.get("status"),
        "outcome": notice.outcome,
        "outputPath": document.get("outputPath"),
        "failureReason": shorten(str(reason), PAGERDUTY_DETAIL_MAX_CHARS) if reason else None,
        "quality": document.get("quality"),
        "account": document.get("account"),
        "text": fit("", _with_emoji(notice.description), "", PAGERDUTY_DETAIL_MAX_CHARS),
    }
    event: dict[str, object] = {
        "event_action": "resolve" if resolving else "trigger",
        "dedup_key": incident_key(document),
        "payload": {
            "summary": shorten(_with_emoji(notice.summary), PAGERDUTY_SUMMARY_MAX_CHARS),
            "source": str(source),
            "severity": SEVERITY.get(notice.outcome, "warning" if document.get("quality") == "regressed" else "info"),
            "component": str(document.get("jobKind") or document.get("target") or "account"),
            "group": str(document.get("region") or document.get("account")),
            "class": notice.outcome,
            "custom_details": {name: value for name, value in details.items() if value is not None},
        },
        "links": [{"href": notice.link, "text": "Open in the console"}] if notice.link else [],
        "client": "Personalize notifier",
    }
    return event


_RENDERERS: dict[str, Callable[[_Notice], dict[str, object]]] = {
    "slack": _slack,
    "teams": _teams,
    "discord": _discord,
    "googleChat": _google_chat,
    "pagerDuty": _pager_duty,
}
