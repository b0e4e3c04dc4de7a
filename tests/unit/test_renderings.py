"""Each rendering people read, against golden files: email text and the chat (Slack) notification.

Regenerate after an intended change with `UPDATE_GOLDEN=1 make unit`, then read the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from notifier.domain import usage, watched
from notifier.domain.arns import parse_arn
from notifier.domain.quality import assess
from notifier.domain.reachability import AccountMark
from notifier.domain.usage import UsageRule
from notifier.domain.watched import Event, PendingNotification, Snapshot
from notifier.rendering.accounts import render_unreachable
from notifier.rendering.envelope import FAILURE_OUTCOMES
from notifier.rendering.jobs import render
from notifier.rendering.text import shorten
from notifier.rendering.webhooks import SERVICES

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-users"
DATASET = "arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS"
NOW = datetime(2026, 11, 24, 10, 12, 30, tzinfo=UTC)
LEASE = timedelta(minutes=2)
WATCH = "0f6c2b4e9d8a4c1b8e7f6a5b4c3d2e1f"
REASON = (
    "Failed to write to s3://acme-exports/nightly/: Access Denied. Check that the role "
    "arn:aws:iam::123456789012:role/PersonalizeExport may call s3:PutObject on this bucket."
)


def running():
    snapshot = Snapshot(
        status="CREATE IN_PROGRESS",
        parent_arn=DATASET,
        facts=(("Ingestion mode", "BULK"),),
        output_path="s3://acme-exports/nightly/",
        created_at="2026-11-24T09:00:00.000Z",
        updated_at="2026-11-24T09:05:00.000Z",
    )
    # One watch id, so the notification ids in the golden files stay what they are.
    return watched.start_watching(parse_arn(ARN), NOW - timedelta(hours=1), snapshot, watch_id=WATCH)


def finished(status: str, **details: str):
    snapshot = Snapshot(status=status, updated_at="2026-11-24T10:12:00.000Z", **details)
    return watched.observe(running(), snapshot, NOW, LEASE)


SOLUTION = "arn:aws:personalize:us-east-1:123456789012:solution/movies"
VERSIONS = (f"{SOLUTION}/3f1a2b4c", f"{SOLUTION}/9d8e7f6a")


def trained():
    """A solution version without a name of its own: named by its solution, labelled as what it is."""
    training = watched.start_watching(
        parse_arn(VERSIONS[1]),
        NOW - timedelta(hours=3),
        Snapshot(status="CREATE IN_PROGRESS", parent_arn=SOLUTION, created_at="2026-11-24T07:10:00.000Z"),
        watch_id=WATCH,
    )
    done = Snapshot(status="ACTIVE", facts=(("Training hours", "2.5"),), updated_at="2026-11-24T10:12:00.000Z")
    return watched.observe(training, done, NOW, LEASE)


def campaign_updated():
    """A campaign's update to the newer version, first seen already done: its change, named once."""
    campaign = watched.start_watching(
        parse_arn("arn:aws:personalize:us-east-1:123456789012:campaign/home-page"),
        NOW - timedelta(days=1),
        Snapshot(status="ACTIVE", parent_arn=VERSIONS[0], facts=(("Minimum TPS", "1"),)),
        watch_id=WATCH,
    )
    owed = PendingNotification(
        id="5b0c7a64-8f0e-5d8e-9a43-7e4b1c2d3e4f",
        event=Event.TRANSITION,
        old_status=None,
        new_status="ACTIVE",
        at="2026-11-24T10:12:30.000Z",
        update=True,
        changes=(("Solution version", VERSIONS[0], VERSIONS[1]),),
    )
    return replace(campaign, parent_arn=VERSIONS[1], pending=(owed,))


# A version worse than the one before it, by the default key metric (NDCG@25) and threshold (5 %).
REGRESSED = assess(
    VERSIONS[1],
    {
        "normalized_discounted_cumulative_gain_at_25": 0.275,
        "precision_at_25": 0.045,
        "mean_reciprocal_rank_at_25": 0.21,
        "coverage": 0.41,
    },
    (
        VERSIONS[0],
        {
            "normalized_discounted_cumulative_gain_at_25": 0.3125,
            "precision_at_25": 0.05,
            "mean_reciprocal_rank_at_25": 0.2,
            "coverage": 0.41,
        },
    ),
)


def with_assessment(job, assessment=REGRESSED):
    owed = replace(job.pending[-1], assessment=assessment)
    return replace(job, assessment=assessment, pending=(*job.pending[:-1], owed))


def serving(arn: str, facts: tuple[tuple[str, str], ...], parent: str) -> watched.Watched:
    """A campaign or recommender ACTIVE since two days before NOW, at rest."""
    return watched.start_watching(
        parse_arn(arn),
        NOW - timedelta(days=2),
        Snapshot(status="ACTIVE", parent_arn=parent, facts=facts, updated_at="2026-11-22T10:00:00.000Z"),
        watch_id=WATCH,
    )


def usage_told(resource: watched.Watched, hourly: list[float]) -> watched.Watched:
    """An hour's usage reading of it, and the notice it owes (notifier.domain.usage)."""
    rule = UsageRule()
    reading = usage.reading_of(
        hourly,
        now=NOW,
        active_since=NOW - timedelta(days=2),
        minimum=float(dict(resource.facts)[resource.kind.minimum_fact]),
        window_hours=rule.idle_hours,
    )
    verdict = usage.judge(reading, rule)
    tell = usage.to_tell(resource.usage, verdict, NOW, rule)
    state = usage.next_state(resource.usage, reading, verdict, tell, NOW)
    return watched.read_usage(resource, state, tell, NOW, LEASE)


CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/clearance"
RECOMMENDER = "arn:aws:personalize:us-east-1:123456789012:recommender/top-picks"
GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"


CASES = {
    "active": lambda: finished("ACTIVE"),
    "campaign_idle": lambda: usage_told(serving(CAMPAIGN, (("Minimum TPS", "10"),), VERSIONS[0]), []),
    "recommender_underused": lambda: usage_told(
        serving(RECOMMENDER, (("Minimum requests per second", "4"),), GROUP), [1800.0] * 23 + [2880.0]
    ),
    "version_regressed": lambda: with_assessment(trained()),
    "campaign_regressed": lambda: with_assessment(campaign_updated()),
    "solution_version": trained,
    "campaign_update": campaign_updated,
    "failed": lambda: finished("CREATE FAILED", failure_reason=REASON),
    "not_found": lambda: watched.end_watching(
        running(), Event.NOT_FOUND, f"Could not find resource: {ARN}", NOW, LEASE
    ),
    "stuck": lambda: watched.check_stuck(running(), NOW + timedelta(hours=6), timedelta(hours=6), LEASE),
}


def golden(name: str, actual: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_email_text_matches_its_golden_file(case: str) -> None:
    job = CASES[case]()
    email = render(job, job.pending[-1]).bodies["email"]
    assert email == golden(f"{case}.email.txt", email)


@pytest.mark.parametrize("case", CASES)
def test_chat_notification_matches_its_golden_file_and_the_schema(case: str) -> None:
    job = CASES[case]()
    body = render(job, job.pending[-1]).bodies["https"]
    chat = json.loads(body)
    jsonschema.validate(chat, json.loads((GOLDEN / "chatbot-custom-notification.schema.json").read_text()))
    assert chat["metadata"]["threadId"] == job.arn  # one Slack thread per job
    pretty = json.dumps(chat, indent=2, ensure_ascii=False) + "\n"
    assert pretty == golden(f"{case}.chat.json", pretty)


@pytest.mark.parametrize("case", CASES)
def test_each_webhook_body_matches_its_golden_file(case: str) -> None:
    """What Slack, Teams, Discord, Google Chat and PagerDuty receive (tests/infra/test_webhooks.py sends them)."""
    job = CASES[case]()
    bodies = render(job, job.pending[-1]).webhooks
    assert sorted(bodies) == sorted(SERVICES)
    pretty = json.dumps(bodies, indent=2, ensure_ascii=False) + "\n"
    assert pretty == golden(f"{case}.webhooks.json", pretty)


@pytest.mark.parametrize(
    "reason",
    [
        "The export failed because " + "of a very long story " * 20_000,  # ~420,000 characters
        "\u6570\u636e" * 20_000,  # CJK: three bytes each in UTF-8
        "\U0001f4a5" * 20_000,  # emoji: four bytes each
    ],
    ids=["ascii", "cjk", "emoji"],
)
def test_a_reason_too_long_for_one_event_keeps_the_event_under_eventbridge_s_limit(reason: str) -> None:
    """PutEvents takes an entry of at most 256 KB, counted in UTF-8 bytes ("Calculating PutEvents event entry
    size": the Time, Source, DetailType, Detail and Resources): the document and every webhook's body together,
    as the publisher writes them."""
    from notifier.adapters.publisher import EventBridgePublisher

    job = finished("CREATE FAILED", failure_reason=reason)
    notification = render(job, job.pending[-1])

    class Bus:
        def put_events(self, Entries: list[dict]) -> dict:
            [entry] = Entries
            size = 14 + sum(len(entry[key].encode()) for key in ("Source", "DetailType", "Detail"))
            size += sum(len(resource.encode()) for resource in entry["Resources"])
            sizes.append(size)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}

    sizes: list[int] = []
    EventBridgePublisher("default", "personalize-job-notifier", Bus(), webhooks=SERVICES).publish(notification)
    assert sizes[0] < 256 * 1024


def test_the_schema_rejects_what_chat_would_reject() -> None:
    schema = json.loads((GOLDEN / "chatbot-custom-notification.schema.json").read_text())
    job = CASES["active"]()
    chat = json.loads(render(job, job.pending[-1]).bodies["https"])
    for broken in ({**chat, "version": "2.0"}, {**chat, "source": "aws"}, {**chat, "content": {"title": "x"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_a_long_failure_reason_keeps_every_channel_readable() -> None:
    reason = "Zürich bucket é" + "\u0301" * 3 + " ".join(["denied"] * 3000)  # ~21k characters, combining marks
    job = finished("CREATE FAILED", failure_reason=reason)
    notification = render(job, job.pending[-1])
    assert len(notification.subject) < 100 and notification.subject.isascii()
    assert reason in notification.bodies["email"]
    assert json.loads(notification.bodies["sqs"])["failureReason"] == reason
    chat = json.loads(notification.bodies["https"])
    assert len(chat["content"]["description"]) <= 8000 and chat["content"]["description"].endswith("…")
    assert len(chat["content"]["title"]) <= 250


def test_shorten_never_leaves_a_combining_mark_without_its_letter() -> None:
    text = "e" + "\u0301" * 10 + " tail"
    assert shorten(text, 6) == "e…"
    assert shorten("plain words here", 100) == "plain words here"
    assert shorten("one two three four five", 12) == "one two…"


def test_a_reason_too_long_for_one_sns_message_is_cut_and_says_so() -> None:
    reason = "The export failed because " + "of a very long story " * 20_000  # ~420,000 characters
    job = finished("CREATE FAILED", failure_reason=reason)
    notification = render(job, job.pending[-1])
    assert len(json.dumps(notification.bodies).encode()) < 256 * 1024
    assert notification.document["failureReasonTruncated"] is True
    assert notification.document["failureReason"].startswith("The export failed because of a very long story")
    assert notification.bodies["email"].count("of a very long story") < 1_000
    short = finished("CREATE FAILED", failure_reason="short")
    assert "failureReasonTruncated" not in render(short, short.pending[-1]).document


UNREACHABLE = AccountMark(
    account="210987654321",
    role_arn="arn:aws:iam::210987654321:role/PersonalizeJobNotifier-Reader",
    reason="AccessDenied: User is not authorized to perform: sts:AssumeRole on resource: "
    "arn:aws:iam::210987654321:role/PersonalizeJobNotifier-Reader",
    since="2026-11-24T10:12:30.000Z",
    version=1,
)


def test_an_unreachable_accounts_notice_in_every_channel() -> None:
    notification = render_unreachable(UNREACHABLE)
    email = notification.bodies["email"]
    assert email == golden("unreachable.email.txt", email)
    chat = json.loads(notification.bodies["https"])
    jsonschema.validate(chat, json.loads((GOLDEN / "chatbot-custom-notification.schema.json").read_text()))
    assert chat["metadata"]["threadId"] == "account/210987654321"  # one Slack thread per account
    pretty = json.dumps(chat, indent=2, ensure_ascii=False) + "\n"
    assert pretty == golden("unreachable.chat.json", pretty)
    document = json.loads(notification.bodies["sqs"])
    assert (document["event"], document["account"], document["roleArn"]) == (
        "unreachable",
        UNREACHABLE.account,
        UNREACHABLE.role_arn,
    )
    assert notification.attributes["outcome"] in FAILURE_OUTCOMES  # failure-only subscribers get it
    assert notification.subject.isascii() and len(notification.subject) < 100
    # Every attempt to tell one outage carries the same id: a subscriber can drop a repeat.
    assert render_unreachable(UNREACHABLE).id == notification.id


def test_a_failure_reason_mentions_no_one_in_google_chat_or_discord() -> None:
    job = finished("CREATE FAILED", failure_reason="Denied: ask <users/all> or @everyone")
    bodies = render(job, job.pending[-1]).webhooks
    assert "<users/all>" not in bodies["googleChat"]["text"] and "<\u200busers/all>" in bodies["googleChat"]["text"]
    assert bodies["discord"]["allowed_mentions"] == {"parse": []}
    assert "&lt;users/all&gt;" in bodies["slack"]["text"]


def test_pagerduty_warns_of_a_regression_only_not_of_every_model_verdict() -> None:
    improved = assess(
        VERSIONS[1],
        {"normalized_discounted_cumulative_gain_at_25": 0.4},
        (VERSIONS[0], {"normalized_discounted_cumulative_gain_at_25": 0.3}),
    )
    for assessment, severity in ((REGRESSED, "warning"), (improved, "info")):
        job = with_assessment(trained(), assessment)
        assert render(job, job.pending[-1]).webhooks["pagerDuty"]["payload"]["severity"] == severity
