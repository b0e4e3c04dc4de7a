"""Job ARNs, statuses and the decisions about a tracked job: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifier.domain import watched
from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.kinds import KINDS, Outcome
from notifier.domain.watched import Event, Snapshot

DATASET_EXPORT_JOB = KINDS["dataset-export-job"]

pytestmark = pytest.mark.unit

ARN = "arn:aws:personalize:eu-west-1:123456789012:dataset-export-job/nightly-users"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def tracked(status: str | None = "CREATE PENDING"):
    snapshot = Snapshot(status=status) if status else None
    return watched.start_watching(parse_arn(ARN), NOW, snapshot)


def test_parse_job_arn_reads_kind_region_account_and_name() -> None:
    parsed = parse_arn(ARN)
    assert (parsed.kind, parsed.region, parsed.account, parsed.name) == (
        DATASET_EXPORT_JOB,
        "eu-west-1",
        "123456789012",
        "nightly-users",
    )


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "non-empty string"),
        (None, "non-empty string"),
        ("arn:aws:s3:::bucket", "the service 's3' is not personalize"),
        ("nightly-users", "not an ARN"),
        ("arn:aws:personalize:us-east-1:123456789012:dataset-export-job", "is not TYPE/NAME"),
        ("arn:aws:personalize:us-east-1:123456789012:dataset-export-job/", "the name after dataset-export-job/ is"),
        ("arn:aws:personalize:us-east-1:12345:dataset-export-job/x", "the account '12345' is not a 12-digit"),
        ("arn:aws:personalize:us-east:123456789012:dataset-export-job/x", "the region 'us-east' is not a region"),
        ("arn:AWS:personalize:us-east-1:123456789012:dataset-export-job/x", "the partition 'AWS' is not one"),
        # Another kind is not a typo of one: no "did you mean dataset-group?" for a dataset.
        (
            "arn:aws:personalize:us-east-1:123456789012:dataset/retail/USERS",
            "the type 'dataset' is not a kind it watches (the kinds are batch-inference-job",
        ),
        ("arn:aws:personalize:us-east-1:123456789012:schema/s", "the type 'schema' is not a kind it watches"),
        # A mistyped kind: the likely one; a known type in the wrong shape: the shapes it has.
        ("arn:aws:personalize:us-east-1:123456789012:dataset-expot-job/x", "did you mean dataset-export-job?"),
        (
            "arn:aws:personalize:us-east-1:123456789012:solution/a/b/c",
            "solution/NAME/ID (solution version), solution/NAME (solution)",
        ),
        ("arn:aws:personalize:us-east-1:123456789012:event-tracker/clicks", "not a kind it watches"),
        ("arn:aws:personalize:us-east-1:123456789012:dataset-export-job/" + "x" * 250, "longer than 256"),
    ],
)
def test_bad_arns_are_rejected_with_a_message_naming_them(bad, why) -> None:
    with pytest.raises(InvalidArn) as error:
        parse_arn(bad)
    assert repr(bad) in str(error.value)
    assert why in str(error.value)


def test_statuses_are_the_apis_exact_strings() -> None:
    kind = DATASET_EXPORT_JOB
    assert kind.outcome("ACTIVE") is Outcome.SUCCEEDED
    assert kind.outcome("CREATE FAILED") is Outcome.FAILED
    assert kind.outcome("CREATE_FAILED") is Outcome.IN_PROGRESS  # not the API's spelling: not terminal
    assert kind.outcome("UPDATE FAILED") is Outcome.FAILED  # any "... FAILED" is one: never a wait without end
    assert kind.outcome("SOMETHING NEW") is Outcome.IN_PROGRESS


def test_same_status_means_no_write_and_no_notification() -> None:
    assert watched.observe(tracked(), Snapshot(status="CREATE PENDING"), NOW, LEASE) is None


def test_a_change_appends_history_and_owes_one_notification_with_a_deterministic_id() -> None:
    job = tracked()
    changed = watched.observe(job, Snapshot(status="CREATE IN_PROGRESS"), NOW + timedelta(minutes=5), LEASE)
    assert changed.version == job.version + 1
    assert [c.status for c in changed.history] == ["CREATE PENDING", "CREATE IN_PROGRESS"]
    [owed] = changed.pending
    assert (owed.event, owed.old_status, owed.new_status) == (Event.TRANSITION, "CREATE PENDING", "CREATE IN_PROGRESS")
    assert owed.id == watched.notification_id(ARN, changed.version, job.watch_id)
    assert changed.in_active_index and not changed.finished


def test_first_status_seen_after_an_undescribed_track_is_a_baseline_unless_terminal() -> None:
    blind = tracked(status=None)
    baseline = watched.observe(blind, Snapshot(status="CREATE IN_PROGRESS"), NOW, LEASE)
    assert baseline.status == "CREATE IN_PROGRESS" and baseline.pending == ()
    finished = watched.observe(blind, Snapshot(status="ACTIVE", output_path="s3://b/p/"), NOW, LEASE)
    assert [owed.new_status for owed in finished.pending] == ["ACTIVE"]


def test_after_publish_a_finished_job_leaves_the_index_and_expires() -> None:
    done = watched.observe(tracked(), Snapshot(status="ACTIVE"), NOW, LEASE)
    assert done.in_active_index  # still owes its notification
    recorded = watched.after_publish(done, 1, NOW, timedelta(days=90))
    assert not recorded.in_active_index
    assert recorded.pending == () and recorded.lease_until is None
    assert recorded.expires_at == int((NOW + timedelta(days=90)).timestamp())


def test_partial_publish_keeps_the_rest_owed_in_order() -> None:
    first = watched.observe(tracked(), Snapshot(status="CREATE IN_PROGRESS"), NOW, LEASE)
    second = watched.observe(first, Snapshot(status="ACTIVE"), NOW, LEASE)
    recorded = watched.after_publish(second, 1, NOW, timedelta(days=1))
    assert [owed.new_status for owed in recorded.pending] == ["ACTIVE"]
    assert recorded.expires_at is None and recorded.in_active_index


def test_lease_is_held_until_it_expires() -> None:
    owed = watched.observe(tracked(), Snapshot(status="ACTIVE"), NOW, LEASE)
    assert watched.lease_held(owed, NOW + timedelta(seconds=119))
    assert not watched.lease_held(owed, NOW + timedelta(seconds=121))


def test_details_the_api_stopped_sending_keep_their_last_value() -> None:
    job = watched.observe(tracked(), Snapshot(status="CREATE IN_PROGRESS", parent_arn="arn:d"), NOW, LEASE)
    later = watched.observe(job, Snapshot(status="ACTIVE"), NOW, LEASE)
    assert later.parent_arn == "arn:d"


def test_iso_timestamps_sort_in_time_order() -> None:
    earlier, later = NOW, NOW + timedelta(milliseconds=1)
    assert watched.iso(earlier) == "2026-11-24T09:00:00.000Z"
    assert watched.iso(earlier) < watched.iso(later)
