"""What the demo shows and checks: its narrator, what each subscriber received (emails, chat, the queue, the
table), and the checks that decide its exit code."""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from notifier.adapters.store import build_store
from notifier.domain.watched import USAGE_EVENTS
from notifier.rendering.text import shorten
from notifier_local.api_destinations import Received
from notifier_local.aws import Delivered
from notifier_local.cast import (
    EVERYTHING,
    FAILURE_REASON,
    FAILURES,
    MEMBER,
    OUTSIDER,
    WEBHOOK_SECRETS,
    DemoCampaign,
    DemoJob,
    DemoOrganization,
    DemoUsage,
)
from notifier_local.inbox import CHATBOT_ENDPOINT, Mail, inbox


class Narrator:
    def __init__(self, out: TextIO, steps: int) -> None:
        self._out, self._steps, self._step = out, steps, 0
        self._started = time.monotonic()

    def step(self, title: str) -> None:
        self._step += 1
        self.line(f"\n[{self._step}/{self._steps}] {title}  (+{time.monotonic() - self._started:.1f} s)")

    def line(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def block(self, text: str, indent: str = "    │ ") -> None:
        for line in text.rstrip("\n").splitlines():
            self.line(f"{indent}{line}")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


def slack_check(organization: DemoOrganization, usage: DemoUsage) -> tuple[bool, str]:
    chats = [json.loads(m.body) for m in inbox.for_address(CHATBOT_ENDPOINT)]
    threads = {chat["metadata"]["threadId"] for chat in chats}
    later = organization.delivered + usage.delivered
    expected_chats = 8 + len(later)
    expected_threads = 5 + len({m.document.get("jobArn") or m.document["account"] for m in later})
    return (
        len(chats) == expected_chats and len(threads) == expected_threads,
        f"Slack got {expected_chats} messages in {expected_threads} threads, one thread a job or account "
        f"(got {len(chats)} messages)",
    )


def show_webhooks(say: Narrator, received: list[Received]) -> None:
    """What the Slack webhook and PagerDuty received through EventBridge's API destinations."""
    slack = [r.json for r in received if r.host == "hooks.slack.com"]
    pages = [r.json for r in received if r.host == "events.pagerduty.com"]
    say.line(f"\n    Slack's incoming webhook (an EventBridge API destination), {len(slack)} messages; the failure:")
    failed = next((body["text"] for body in slack if body["text"].startswith("*:x:")), "")
    say.block("\n".join(failed.splitlines()[:5]), indent="      │ ")
    say.line(f"    PagerDuty (Events API v2), {len(pages)} events:")
    for page in pages:
        action, severity = page["event_action"], page["payload"]["severity"]
        say.line(f"      {action:<8} {severity:<8} {shorten(page['payload']['summary'], 70)}")


def webhook_checks(received: list[Received]) -> list[tuple[bool, str]]:
    """Every notice reached the Slack webhook, as it reached the Slack channel; PagerDuty got what the
    failure-only address got, each with the routing key from the secret."""
    chats = inbox.for_address(CHATBOT_ENDPOINT)
    slack = [r for r in received if r.host == "hooks.slack.com"]
    pages = [r.json for r in received if r.host == "events.pagerduty.com"]
    failures = inbox.for_address(FAILURES)
    keyed = all(page["routing_key"] == WEBHOOK_SECRETS["pagerDutyRoutingKey"][1] for page in pages)
    return [
        (len(slack) == len(chats), f"the Slack webhook got every notice the Slack channel did ({len(chats)})"),
        (
            len(pages) == len(failures) and keyed,
            f"PagerDuty got what the failure-only address did ({len(failures)}), with the routing key from its secret",
        ),
    ]


def jobs_mail(address: str) -> list[Mail]:
    """The job notifications an address received (the organization's step adds its own, checked there)."""
    return [
        m
        for m in inbox.for_address(address)
        if m.attributes.get("jobKind") != "account"
        and m.attributes.get("event") not in {event.value for event in USAGE_EVENTS}  # the usage step checks its own
        and MEMBER not in m.body
        and OUTSIDER not in m.body
    ]


def show_what_arrived(say: Narrator, delivered: list[Delivered], table_name: str) -> None:
    # In the order the polls told them (within a poll, the describe threads publish in any order).
    order = {message.document["id"]: index for index, message in enumerate(delivered)}
    by_poll = lambda mail: order.get(_notification_id(mail.body), len(order))  # noqa: E731
    _show_mail(say, EVERYTHING, sorted(inbox.for_address(EVERYTHING), key=by_poll))
    _show_mail(say, FAILURES, sorted(inbox.for_address(FAILURES), key=by_poll), subjects_only=True)
    chats = [json.loads(m.body) for m in inbox.for_address(CHATBOT_ENDPOINT)]
    _show_slack(say, sorted(chats, key=lambda chat: order.get(chat["id"], len(order))))
    say.line("\n    The queue's JSON document for the finished export (abridged):")
    finished = next((m.document for m in delivered if m.document.get("status") == "ACTIVE"), {})
    keys = ("id", "event", "jobName", "previousStatus", "status", "outcome", "outputPath", "durationSeconds")
    say.block(json.dumps({key: finished.get(key) for key in keys}, indent=2))
    say.line("\nJobs and their transitions (from the table):")
    say.block(_summary_table(table_name, delivered), indent="    ")


def _notification_id(email: str) -> str:
    return email.rsplit("Notification id: ", 1)[-1].strip()


def change_in_words(document: dict[str, Any]) -> str:
    if document["event"] != "transition":
        return f"{document['event']} ({document.get('detail') or ''})"
    text = f"{document.get('previousStatus')} → {document['status']}"
    if document.get("outputPath") and document["outcome"] == "succeeded":
        text += f", output {document['outputPath']}"
    if document.get("failureReason"):
        text += ", with the failure reason"
    return text


def _what_mail_is_about(mails: list[Mail]) -> str:
    """11 emails: 8 about this account's jobs, 1 about what a campaign serves, 1 about another account's job, 1
    about an account it cannot read."""
    usage_events = {event.value for event in USAGE_EVENTS}
    notices = sum(1 for m in mails if m.attributes.get("jobKind") == "account")
    used = sum(1 for m in mails if m.attributes.get("event") in usage_events)
    others = sum(
        1
        for m in mails
        if m.attributes.get("jobKind") != "account"
        and m.attributes.get("event") not in usage_events
        and MEMBER in m.body
    )
    own = len(mails) - notices - others - used
    parts = [
        f"{own} about this account's jobs",
        *([f"{used} about what a campaign serves"] if used else []),
        *([f"{others} about another account's job{'s' * (others != 1)}"] if others else []),
        *([f"{notices} about an account it cannot read"] if notices else []),
    ]
    return f"{len(mails)} email{'s' * (len(mails) != 1)}: {', '.join(parts)}"


def _show_mail(say: Narrator, address: str, mails: list[Mail], subjects_only: bool = False) -> None:
    say.line(f"\n    {address} received {_what_mail_is_about(mails)}:")
    for mail in mails:
        say.line(f"    ✉ Subject: {mail.subject}")
        if not subjects_only and (
            mail.attributes.get("terminal") == "true" or mail.attributes.get("event") in ("unreachable", "idle")
        ):
            say.block(mail.body, indent="      │ ")


_EMOJI = {
    ":white_check_mark:": "✅",
    ":x:": "❌",
    ":grey_question:": "❔",
    ":hourglass_flowing_sand:": "⏳",
    ":warning:": "⚠️",
    ":no_entry:": "⛔",
    ":octagonal_sign:": "🛑",
    ":no_entry_sign:": "🚫",
    ":money_with_wings:": "💸",
}


def _show_slack(say: Narrator, chats: list[dict[str, Any]]) -> None:
    """As the Slack channel shows them: one thread per job, the custom notification's title, text, next steps."""
    threads: dict[str, list[dict[str, Any]]] = {}
    for chat in chats:
        threads.setdefault(chat["metadata"]["threadId"], []).append(chat)
    say.line(f"\n    Slack channel (Amazon Q Developer): {len(chats)} message(s) in {len(threads)} thread(s)")
    for thread, messages in threads.items():
        # By the name in its ARN (a solution version's with its solution's), not by the ARN's last part.
        label = (
            thread.replace("/", " ") if thread.startswith("account/") else thread.split(":", 5)[-1].split("/", 1)[-1]
        )
        say.line(f"    🧵 {label}")
        for chat in messages:
            title = chat["content"]["title"]
            for code, emoji in _EMOJI.items():
                title = title.replace(code, emoji)
            say.line(f"      {title}")
            if chat["metadata"]["additionalContext"]["outcome"] in ("succeeded", "failed", "unreachable", "idle"):
                say.block(chat["content"]["description"], indent="        ")
                for step in chat["content"]["nextSteps"]:
                    say.line(f"        → {step}")


def _summary_table(table_name: str, delivered: list[Delivered]) -> str:
    rows = [("job", "status history", "notifications")]
    watched = [job for job in build_store(table_name).all_jobs() if hasattr(job, "history")]
    for job in sorted(watched, key=lambda job: job.name):
        history = " → ".join(change.status for change in job.history) or "(never described)"
        if job.ended_by is not None:
            history += f" ⇢ {job.ended_by.value}"
        sent = sum(1 for message in delivered if message.document.get("jobArn") == job.arn)
        rows.append((job.name, history, str(sent)))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def check(
    jobs: list[DemoJob],
    campaign: DemoCampaign,
    delivered: list[Delivered],
    everything: list[Mail],
    failures: list[Mail],
) -> list[tuple[bool, str]]:
    nightly, weekly, never_created = jobs
    expected = [
        (nightly.arn, "CREATE IN_PROGRESS"),
        (weekly.arn, "CREATE IN_PROGRESS"),
        (nightly.arn, "ACTIVE"),
        (weekly.arn, "CREATE FAILED"),
        (never_created.arn, "not_found"),
        (campaign.campaign, "ACTIVE"),
        (campaign.new_version, "ACTIVE"),
        (campaign.campaign, "ACTIVE"),  # its update finished
    ]
    seen = [
        (m.document["jobArn"], m.document["status"] if m.document["event"] == "transition" else m.document["event"])
        for m in delivered
    ]
    ids = [m.document["id"] for m in delivered]
    active = next((m.body for m in everything if m.attributes.get("status") == "ACTIVE"), "")
    failed = next((m.body for m in everything if m.attributes.get("status") == "CREATE FAILED"), "")
    moved = [
        m.document for m in campaign.delivered if m.document["jobArn"] == campaign.campaign and m.document.get("update")
    ]
    trained = [m for m in campaign.delivered if m.document["jobArn"] == campaign.new_version]
    change = {"what": "Solution version", "before": campaign.old_version, "after": campaign.new_version}
    return [
        (sorted(seen) == sorted(expected), f"the queue got exactly the 8 expected notifications (got {len(seen)})"),
        (len(set(ids)) == len(ids), "no notification was delivered twice"),
        (len(everything) == 8, f"{EVERYTHING} got all 8 emails about this account's jobs (got {len(everything)})"),
        (
            len(moved) == 1 and moved[0]["changes"] == [change],
            "the campaign's update names the solution version it serves now and the one before",
        ),
        (
            len(trained) == 1
            and trained[0].attributes.get("quality") == "improved"
            and (trained[0].document.get("previousVersion") or {}).get("arn") == campaign.old_version,
            "the new version was told improved, its metrics beside the version before",
        ),
        (
            sorted(m.attributes.get("outcome", "") for m in failures) == ["failed", "not_found"],
            f"{FAILURES} got, of this account's jobs, only the failure and the missing one (got {len(failures)})",
        ),
        (nightly.output is not None and nightly.output in active, "the ACTIVE email names the output path"),
        (FAILURE_REASON in failed, "the CREATE FAILED email carries the failure reason verbatim"),
    ]
