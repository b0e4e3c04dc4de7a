"""What subscribers read: subjects, email text, the JSON document and the filter attributes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.domain.watched import Event, Snapshot
from notifier.rendering.envelope import FAILURE_FILTER_POLICY
from notifier.rendering.jobs import render
from notifier.rendering.links import s3_console_url
from notifier.rendering.text import ascii_subject, format_duration

pytestmark = pytest.mark.unit

ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-users"
NOW = datetime(2026, 11, 24, 10, 12, 30, tzinfo=UTC)


def finished(status: str, **details: str):
    parsed = parse_arn(ARN)
    job = watched.start_watching(parsed, NOW - timedelta(hours=1), Snapshot(status="CREATE IN_PROGRESS"))
    snapshot = Snapshot(
        status=status,
        parent_arn="arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS",
        facts=(("Ingestion mode", "BULK"),),
        created_at="2026-11-24T09:00:00.000Z",
        updated_at="2026-11-24T10:12:00.000Z",
        **details,
    )
    changed = watched.observe(job, snapshot, NOW, timedelta(minutes=2))
    return changed, changed.pending[-1]


def test_active_email_leads_with_the_output_path_then_details_then_links() -> None:
    job, owed = finished("ACTIVE", output_path="s3://acme-exports/nightly/")
    email = render(job, owed).bodies["email"]
    lines = email.splitlines()
    # The title, then the output path once, in the column of the lines around it.
    assert lines[0] == "Dataset export job nightly-users finished"
    assert "Status: CREATE IN_PROGRESS -> ACTIVE" in lines
    assert "Took:   1 h 12 min (created 2026-11-24 09:00:00 UTC)" in lines
    assert "Output: s3://acme-exports/nightly/" in lines and email.count("s3://acme-exports/nightly/") == 1
    assert "Output in S3 console: https://s3.console.aws.amazon.com/s3/buckets/acme-exports?prefix=nightly/" in lines
    assert lines.index("Details") < lines.index("Links")


def test_failed_email_carries_the_reason_verbatim() -> None:
    reason = "Line 1 of the reason.\n  Line 2, indented — with ünïcode."
    job, owed = finished("CREATE FAILED", failure_reason=reason)
    notification = render(job, owed)
    assert reason in notification.bodies["email"]
    assert notification.document["failureReason"] == reason
    assert json.loads(notification.bodies["sqs"])["failureReason"] == reason
    assert notification.bodies["default"].startswith("Dataset export job nightly-users failed: Line 1 of the reason.")


def test_subject_stays_ascii_readable_and_under_100_characters() -> None:
    job, owed = finished("CREATE FAILED", failure_reason="Ärger: " + "the bucket policy denies access " * 10)
    subject = render(job, owed).subject
    assert len(subject) < 100
    assert subject.isascii() and "\n" not in subject
    assert subject.startswith("Personalize: Dataset export job nightly-users failed: Arger: the bucket")
    assert subject.endswith("...")


def test_ascii_subject_keeps_short_text_as_is_and_drops_control_characters() -> None:
    assert ascii_subject("ok\nnext\tline") == "ok next line"
    assert ascii_subject("x" * 99) == "x" * 99
    assert len(ascii_subject("x" * 100)) == 99


def test_filter_attributes_follow_the_design_contract() -> None:
    job, owed = finished("ACTIVE", output_path="s3://b/p/")
    assert render(job, owed).attributes == {
        "status": "ACTIVE",
        "jobKind": "dataset-export-job",
        "terminal": "true",
        "event": "transition",
        "outcome": "succeeded",
    }


def test_not_found_is_terminal_and_says_so() -> None:
    parsed = parse_arn(ARN)
    job = watched.start_watching(parsed, NOW, Snapshot(status="CREATE PENDING"))
    ended = watched.end_watching(job, Event.NOT_FOUND, "Could not find resource", NOW, timedelta(minutes=2))
    notification = render(ended, ended.pending[-1])
    assert notification.attributes["event"] == "not_found"
    assert notification.attributes["terminal"] == "true"
    assert notification.attributes["status"] == "CREATE PENDING"
    assert "Personalize: Could not find resource" in notification.bodies["email"]


def test_json_document_is_versioned_and_complete() -> None:
    job, owed = finished("ACTIVE", output_path="s3://b/p/")
    document = json.loads(render(job, owed).bodies["sqs"])
    assert document["version"] == "1.0"
    assert document["durationSeconds"] == 72 * 60
    assert document["id"] == owed.id
    # The dataset group named in the dataset's ARN, in the form AWS's own solutions link it.
    assert document["consoleUrl"] == (
        "https://console.aws.amazon.com/personalize/home?region=us-east-1"
        "#arn:aws:personalize:us-east-1:123456789012:dataset-group$retail/setup"
    )
    assert document["consoleWhere"] == "the dataset group retail, then its dataset export job nightly-users"


ACCOUNT_ARN = "arn:{partition}:personalize:us-east-1:123456789012:"


@pytest.mark.parametrize(
    ("arn", "parent", "url", "where"),
    [
        (
            "dataset-group/retail",
            None,
            "https://console.aws.amazon.com/personalize/home?region=us-east-1"
            "#arn:aws:personalize:us-east-1:123456789012:dataset-group$retail/setup",
            "the dataset group retail",
        ),
        (
            "recommender/top-picks",
            "dataset-group/retail",
            "https://console.aws.amazon.com/personalize/home?region=us-east-1"
            "#arn:aws:personalize:us-east-1:123456789012:dataset-group$retail/setup",
            "the dataset group retail, then its recommender top-picks",
        ),
        # No documented form for a campaign's page, and no dataset group in its ARNs: the console, and what to open.
        (
            "campaign/home-page",
            "solution/movies/3f1a2b4c",
            "https://console.aws.amazon.com/personalize/home?region=us-east-1",
            "the campaign home-page, in the dataset group that holds it (us-east-1)",
        ),
    ],
)
def test_console_links_go_where_aws_documents_a_page_and_say_what_to_open(arn, parent, url, where) -> None:
    from notifier.rendering.links import console_url, console_where

    job = watched.start_watching(
        parse_arn(ACCOUNT_ARN.format(partition="aws") + arn),
        NOW,
        Snapshot(status="ACTIVE", parent_arn=parent and ACCOUNT_ARN.format(partition="aws") + parent),
    )
    assert (console_url(job), console_where(job)) == (url, where)
    china = watched.start_watching(parse_arn(ACCOUNT_ARN.format(partition="aws-cn") + arn), NOW, Snapshot("ACTIVE"))
    assert console_url(china) is None  # its console has a host of its own, which no form here gives


@pytest.mark.parametrize(("seconds", "text"), [(42, "42 s"), (125, "2 min 5 s"), (3600 * 26 + 60, "26 h 1 min")])
def test_durations_read_like_a_person_would_say_them(seconds, text) -> None:
    assert format_duration(seconds) == text


def test_s3_console_url_only_for_s3_paths() -> None:
    assert s3_console_url("s3://bucket/a b/") == "https://s3.console.aws.amazon.com/s3/buckets/bucket?prefix=a%20b/"
    assert s3_console_url("https://example.com/x") is None


def test_the_failure_only_policy_a_page_gives_to_copy_is_the_one_the_stack_deploys() -> None:
    """docs/subscribe.md's `aws sns subscribe` line: what a person pastes gets what failureEmails gets."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "subscribe.md").read_text()
    [attributes] = re.findall(r"--attributes '(\{\"FilterPolicy\".*?\})'\n", page)
    assert json.loads(json.loads(attributes)["FilterPolicy"]) == FAILURE_FILTER_POLICY
