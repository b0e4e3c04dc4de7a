"""One poll cycle against moto and the Personalize emulator, judged by what a subscribed SQS queue receives."""

from __future__ import annotations

import pytest

from notifier_local import personalize as emulator
from tests.conftest import World

pytestmark = pytest.mark.integration

SUCCESS = ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")


def statuses(world: World) -> list[tuple[str | None, str]]:
    return [(d.document["previousStatus"], d.document["status"]) for d in world.delivered()]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (SUCCESS, [("CREATE PENDING", "CREATE IN_PROGRESS"), ("CREATE IN_PROGRESS", "ACTIVE")]),
        (
            ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE FAILED"),
            [("CREATE PENDING", "CREATE IN_PROGRESS"), ("CREATE IN_PROGRESS", "CREATE FAILED")],
        ),
        (("CREATE PENDING", "CREATE FAILED"), [("CREATE PENDING", "CREATE FAILED")]),
        (("CREATE PENDING", "ACTIVE"), [("CREATE PENDING", "ACTIVE")]),
    ],
    ids=["pending-progress-active", "pending-progress-failed", "pending-failed", "pending-active"],
)
def test_each_edge_of_the_state_machine_is_notified_once_in_order(world: World, path, expected) -> None:
    arn = world.export_job("nightly-users")
    assert world.track(arn).job.status == "CREATE PENDING"
    for status in path[1:]:
        emulator.set_status(arn, status, failure_reason="boom" if status == "CREATE FAILED" else None)
        world.clock.advance(minutes=5)
        world.poll()
    assert statuses(world) == expected


def test_tracking_baseline_is_not_a_transition_and_no_change_sends_nothing(world: World) -> None:
    arn = world.export_job("quiet")
    world.track(arn)
    for _ in range(3):
        world.clock.advance(minutes=5)
        report = world.poll()
        assert report.jobs_polled == 1
    assert world.delivered() == []


def test_active_carries_the_output_path_everywhere_a_subscriber_looks(world: World) -> None:
    arn = world.export_job("nightly-users", output="s3://acme-exports/personalize/nightly/")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    [message] = world.delivered()
    assert message.document["outputPath"] == "s3://acme-exports/personalize/nightly/"
    assert message.document["status"] == "ACTIVE"
    assert message.document["outcome"] == "succeeded"
    assert (
        message.subject
        == "Personalize: Dataset export job nightly-users finished: s3://acme-exports/personalize/nightly/"
    )
    assert message.attributes == {
        "status": "ACTIVE",
        "jobKind": "dataset-export-job",
        "terminal": "true",
        "event": "transition",
        "outcome": "succeeded",
    }


def test_failure_reason_arrives_verbatim(world: World) -> None:
    reason = "Access denied to s3://acme-exports/ for role PersonalizeExport.\nCheck the bucket policy — «kms:Decrypt»."
    arn = world.export_job("nightly-users")
    world.track(arn)
    emulator.set_status(arn, "CREATE FAILED", failure_reason=reason)
    world.poll()
    [message] = world.delivered()
    assert message.document["failureReason"] == reason
    assert message.attributes["status"] == "CREATE FAILED"
    assert message.attributes["terminal"] == "true"
    assert message.subject.isascii() and len(message.subject) < 100


def test_finished_jobs_leave_the_active_index_and_get_a_ttl(world: World) -> None:
    arn = world.export_job("done")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    world.poll()
    item = world.session.client("dynamodb").get_item(TableName=world.table_name, Key={"jobArn": {"S": arn}})["Item"]
    assert "activeShard" not in item and "pending" not in item
    assert int(item["expiresAt"]["N"]) > world.clock().timestamp()
    assert [h["M"]["status"]["S"] for h in item["history"]["L"]] == ["CREATE PENDING", "ACTIVE"]
    emulator.calls.reset()
    world.clock.advance(minutes=5)
    assert world.poll().jobs_read == 0
    assert emulator.calls.total() == 0


def test_idle_poll_makes_no_personalize_call_and_one_query(world: World) -> None:
    for index in range(5):
        arn = world.export_job(f"finished-{index}")
        emulator.set_status(arn, "ACTIVE")
        world.track(arn)  # tracked when already finished: kept for `show`, never polled
    world.poll()  # a table's first poll starts the usage clock (notifier.usecases.poll.usage)
    world.clock.advance(minutes=1)
    emulator.calls.reset()
    dynamodb_calls: list[str] = []
    poller = world.poller()
    poller._store._client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: dynamodb_calls.append(model.name)
    )
    report = poller.poll()
    assert report.jobs_read == 0
    assert emulator.calls.total() == 0
    assert dynamodb_calls == ["Query"]
    assert world.delivered() == []


def test_unknown_status_is_stored_notified_and_still_watched(world: World) -> None:
    arn = world.export_job("odd")
    world.track(arn)
    emulator.set_status(arn, "CREATE STOPPING")
    world.poll()
    [message] = world.delivered()
    assert message.attributes["status"] == "CREATE STOPPING"
    assert message.attributes["terminal"] == "false"
    emulator.set_status(arn, "ACTIVE")
    world.clock.advance(minutes=5)
    world.poll()
    assert statuses(world) == [("CREATE STOPPING", "ACTIVE")]


def test_a_job_that_no_longer_exists_is_reported_once_then_dropped(world: World) -> None:
    arn = world.export_job("vanishing")
    world.track(arn)
    emulator.delete_job(arn)
    report = world.poll()
    assert report.ended == 1
    [message] = world.delivered()
    assert message.attributes["event"] == "not_found"
    assert message.document["jobArn"] == arn
    assert "no longer exists" in message.subject
    world.clock.advance(minutes=5)
    assert world.poll().jobs_read == 0
    assert world.delivered() == []
    assert world.store.get(arn).ended_by.value == "not_found"  # kept, not deleted: `show` can still tell


def test_an_arn_personalize_rejects_is_reported_once_as_invalid(world: World) -> None:
    arn = world.export_job("rejected")
    world.track(arn)
    emulator.inject_fault(arn, "InvalidInputException", "The ARN is not valid for this account")
    world.poll()
    [message] = world.delivered()
    assert message.attributes["event"] == "invalid"
    assert "not valid for this account" in message.document["detail"]
    world.clock.advance(minutes=5)
    assert world.poll().jobs_read == 0


def test_throttling_keeps_the_job_tracked_and_never_stops_the_others(world: World) -> None:
    throttled, healthy = world.export_job("throttled"), world.export_job("healthy")
    world.track(throttled)
    world.track(healthy)
    emulator.set_status(throttled, "ACTIVE")
    emulator.set_status(healthy, "ACTIVE")
    emulator.inject_fault(throttled, "ThrottlingException", "Rate exceeded")
    poller = world.poller()
    poller._describer._config.retries["max_attempts"] = 2
    report = poller.poll()
    assert report.describe_errors == 1
    assert [d.document["jobArn"] for d in world.delivered()] == [healthy]
    assert world.store.get(throttled).status == "CREATE PENDING"

    emulator.clear_faults()
    world.clock.advance(minutes=5)
    world.poll()
    assert [(d.document["jobArn"], d.document["status"]) for d in world.delivered()] == [(throttled, "ACTIVE")]


def test_access_denied_is_logged_with_the_arn_and_retried(world: World, caplog) -> None:
    arn = world.export_job("denied")
    world.track(arn)
    emulator.inject_fault(arn, "AccessDeniedException", "not authorized to perform personalize:Describe")
    report = world.poll()
    assert report.describe_errors == 1
    [warning] = [r for r in caplog.records if getattr(r, "job_arn", None) == arn]
    assert warning.levelname == "WARNING" and warning.error_code == "AccessDeniedException"
    assert world.store.get(arn).in_active_index


def test_a_malformed_item_is_skipped_logged_and_left_in_place(world: World, caplog) -> None:
    client = world.session.client("dynamodb")
    broken = {
        "jobArn": {"S": "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/hand-edited"},
        "activeShard": {"S": "active"},
        "lastCheckedAt": {"S": "2026-01-01T00:00:00.000Z"},
        "version": {"S": "three"},
    }
    client.put_item(TableName=world.table_name, Item=broken)
    arn = world.export_job("fine")
    world.track(arn)
    emulator.set_status(arn, "ACTIVE")
    report = world.poll()
    assert report.malformed_items == 1
    assert [d.document["jobArn"] for d in world.delivered()] == [arn]
    [warning] = [r for r in caplog.records if "hand-edited" in str(getattr(r, "job_arn", ""))]
    assert warning.reason == "jobKind must be a non-empty string, found None"
    still_there = client.get_item(TableName=world.table_name, Key={"jobArn": broken["jobArn"]})["Item"]
    assert still_there == broken


def test_time_budget_defers_the_rest_and_they_go_first_next_poll(world: World) -> None:
    arns = [world.export_job(f"job-{index}") for index in range(3)]
    for arn in arns:
        world.track(arn)
        world.clock.advance(seconds=1)
        emulator.set_status(arn, "CREATE IN_PROGRESS")
    budget = iter([60.0])  # one describe may start, then the Lambda is under the margin

    def remaining() -> float:
        return next(budget, 1.0)

    report = world.poller(max_concurrency=1, list_threshold=99).poll(remaining_seconds=remaining)
    assert (report.jobs_polled, report.deferred) == (1, 2)
    assert [d.document["jobArn"] for d in world.delivered()] == [arns[0]]

    world.clock.advance(minutes=5)
    budget = iter([60.0])
    world.poller(max_concurrency=1, list_threshold=99).poll(remaining_seconds=remaining)
    assert [d.document["jobArn"] for d in world.delivered()] == [arns[1]]


def test_jobs_sharing_a_dataset_are_checked_with_one_listing_and_only_changes_described(world: World) -> None:
    arns = [world.export_job(f"shared-{index}") for index in range(20)]
    for arn in arns:
        world.track(arn)
    emulator.set_status(arns[3], "ACTIVE")
    emulator.set_status(arns[7], "CREATE FAILED", failure_reason="bad input")
    emulator.calls.reset()
    report = world.poll()
    assert emulator.calls.counts == {"ListDatasetExportJobs": 1, "DescribeDatasetExportJob": 2}
    assert report.jobs_polled == 20
    delivered = {d.document["jobArn"]: d.document for d in world.delivered()}
    assert set(delivered) == {arns[3], arns[7]}
    assert delivered[arns[3]]["outputPath"] == "s3://exports-bucket/shared-3/"  # from the describe
    assert delivered[arns[7]]["failureReason"] == "bad input"


def test_a_few_jobs_per_dataset_are_described_not_listed(world: World) -> None:
    arns = [world.export_job(f"pair-{index}") for index in range(2)]
    for arn in arns:
        world.track(arn)
    emulator.calls.reset()
    world.poll()
    assert emulator.calls.counts == {"DescribeDatasetExportJob": 2}


def test_a_job_the_listing_misses_is_described(world: World) -> None:
    arns = [world.export_job(f"listed-{index}") for index in range(3)]
    for arn in arns:
        world.track(arn)
    emulator.delete_job(arns[0])  # gone from the listing: the describe says why
    emulator.calls.reset()
    report = world.poll()
    assert emulator.calls.counts == {"ListDatasetExportJobs": 1, "DescribeDatasetExportJob": 1}
    assert report.ended == 1
    assert [d.attributes["event"] for d in world.delivered()] == ["not_found"]


def test_a_paced_poll_stays_under_the_quota_and_is_never_throttled(world: World) -> None:
    """PERSONALIZE_MAX_RPS: every request attempt is spaced under the rate, so the quota is never hit."""
    from notifier.app.compose import build_poller
    from notifier.app.settings import Settings

    arns = [world.export_job(f"paced-{index}") for index in range(12)]
    for index, arn in enumerate(arns):
        emulator.find_job(arn).request["datasetArn"] = f"arn:aws:personalize:us-east-1:123456789012:dataset/d{index}/X"
        world.track(arn)
        emulator.set_status(arn, "ACTIVE")
    settings = Settings.from_env(
        {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "PERSONALIZE_MAX_RPS": "9"}
    )
    emulator.limits.set(0.0, rate_per_second=10.0)
    try:
        report = build_poller(settings, world.session).poll()
    finally:
        throttled = emulator.limits.throttled
        emulator.limits.set()
    assert throttled == 0
    assert report.notifications_published == 12
