"""Hostile input, fuzzed: each gets a clear error or a logged skip; never a crash, never a lost job."""

from __future__ import annotations

import contextlib
import decimal
import io
import json
from datetime import UTC, datetime

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.adapters.items import decode_or_report, encode
from notifier.adapters.personalize import snapshot_from
from notifier.cli import main
from notifier.domain import watched
from notifier.domain.arns import InvalidArn, parse_arn
from notifier.domain.cloudtrail import IgnoredEvent, call_from_cloudtrail
from notifier.domain.kinds import KINDS
from notifier.domain.watched import Snapshot
from notifier.ports import DescribeFailed, MalformedItem
from notifier.usecases.poll.poller import Poller
from notifier.usecases.poll.report import PollSettings
from tests.fakes import FakeChannel, FakeStore

pytestmark = pytest.mark.unit

KIND = KINDS["dataset-export-job"]
ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/fuzzed"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
arn_like = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda partition, region, account, resource: f"arn:{partition}:personalize:{region}:{account}:{resource}",
        st.sampled_from(["aws", "aws-cn", "", "AWS"]),
        st.sampled_from(["us-east-1", "eu-west-1", "", "moon-1", "us-east-1a"]),
        st.sampled_from(["123456789012", "12345", "", "abcdefghijkl"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz-/0123456789_", max_size=80),
    ),
)


@given(arn=arn_like)
def test_any_arn_is_either_parsed_or_rejected_naming_it(arn: str) -> None:
    try:
        parsed = parse_arn(arn)
    except InvalidArn as exc:
        assert repr(arn) in str(exc)
        return
    assert parsed.arn == arn and parsed.kind in KINDS.values() and len(arn) <= 256


def rejected(arn: str) -> bool:
    try:
        parse_arn(arn)
    except InvalidArn:
        return True
    return False


@settings(max_examples=40, deadline=None)
@given(
    arns=st.lists(
        arn_like.filter(lambda a: not a.strip().startswith("-") and rejected(a.strip())), min_size=1, max_size=3
    )
)
def test_the_cli_names_every_bad_arn_and_exits_2_without_touching_aws(arns: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--table", "no-call-is-made", "untrack", *arns], out=out, err=err) == 2
    assert out.getvalue() == ""
    for arn in arns:
        assert repr(arn) in err.getvalue()


@given(event=json_values)
def test_any_event_is_either_a_call_to_follow_or_ignored_with_a_reason(event) -> None:
    try:
        call = call_from_cloudtrail(event)
    except IgnoredEvent as exc:
        assert str(exc)
        return
    assert parse_arn(call.arn).arn == call.arn


@given(
    detail=st.dictionaries(
        st.sampled_from(["eventName", "errorCode", "responseElements", "eventSource", "requestParameters"]),
        json_values,
    )
)
def test_cloudtrail_shaped_events_never_crash(detail) -> None:
    with contextlib.suppress(IgnoredEvent):
        call_from_cloudtrail({"detail": detail})


described = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(json_values, st.sampled_from(["ACTIVE", "CREATE FAILED", "CREATE PENDING"])),
        "jobName": json_values,
        "datasetArn": json_values,
        "jobOutput": st.one_of(json_values, st.just({"s3DataDestination": {"path": "s3://b/" + "x" * 5000}})),
        "failureReason": st.one_of(json_values, st.text(min_size=1000, max_size=3000)),
        "creationDateTime": st.one_of(json_values, st.datetimes(timezones=st.just(UTC))),
        "ingestionMode": json_values,
        "unexpected": json_values,
    },
)


@given(response=st.one_of(json_values, described))
def test_any_describe_answer_is_a_snapshot_or_a_describe_error(response) -> None:
    try:
        snapshot = snapshot_from(ARN, KIND, response)
    except DescribeFailed as exc:
        assert exc.code == "MalformedResponse"
        return
    assert isinstance(snapshot.status, str) and snapshot.status.strip()


class AnswersWith:
    """A describer whose answer is whatever the fuzzer made, read by the real response parser."""

    def __init__(self, response) -> None:
        self.response = response

    def describe(self, job):
        return snapshot_from(job.arn, job.kind, self.response)


@settings(max_examples=60, deadline=None)
@given(response=described)
def test_a_poll_over_any_describe_answer_never_crashes_or_loses_the_job(response) -> None:
    store = FakeStore()
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    store.add(watched.start_watching(parse_arn(ARN), now, Snapshot(status="CREATE PENDING")))
    sns = FakeChannel("sns")
    report = Poller(store, AnswersWith(response), [sns], settings=PollSettings(stuck_after=None)).poll()
    assert ARN in store.items
    assert report.describe_errors + report.jobs_polled >= 1
    for notification in sns.delivered:
        assert len(notification.subject) < 100 and notification.subject.isascii()
        json.loads(notification.bodies["https"])


@given(
    edits=st.dictionaries(
        st.sampled_from(sorted(encode(watched.start_watching(parse_arn(ARN), datetime(2026, 1, 1, tzinfo=UTC))))),
        json_values,
    )
)
def test_a_hand_edited_item_decodes_or_is_reported_never_raises(edits) -> None:
    job = watched.start_watching(parse_arn(ARN), datetime(2026, 1, 1, tzinfo=UTC), Snapshot(status="CREATE PENDING"))
    item = {**encode(job), **edits}
    serializer = TypeSerializer()
    try:
        wire = {key: serializer.serialize(value) for key, value in item.items() if value is not None}
    except (TypeError, ValueError, decimal.DecimalException):
        # Not storable in DynamoDB at all (floats must be Decimals; a number has at most 38 digits of precision,
        # DynamoDB developer guide, "Data types"): nobody can write it.
        return
    decoded = decode_or_report(wire)
    assert isinstance(decoded, (MalformedItem, watched.Watched))
