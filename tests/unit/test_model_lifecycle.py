"""The pure decisions of the lifecycle of models: the quality verdict and its names, and the clock of an expected
cadence (due, told, reminded a period later, recovered), with the store's codec of both."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from notifier.adapters.items import decode_any, encode_expectation, to_wire
from notifier.domain import cadence
from notifier.domain.cadence import NotExpectable, Notice, expect, parse_duration, target_of
from notifier.domain.quality import Quality, assess, readable
from notifier.domain.watched import iso

KEY = "normalized_discounted_cumulative_gain_at_25"
V1, V2 = (
    "arn:aws:personalize:us-east-1:123456789012:solution/movies/1",
    "arn:aws:personalize:us-east-1:123456789012:solution/movies/2",
)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SOLUTION = "arn:aws:personalize:us-east-1:123456789012:solution/movies"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (KEY, "NDCG@25"),
        ("precision_at_10", "Precision@10"),
        ("mean_reciprocal_rank_at_25", "MRR@25"),
        ("coverage", "Coverage"),
        ("hit_at_5", "Hit@5"),
        ("some_new_metric_at_7", "Some new metric@7"),
        ("freshness", "Freshness"),
    ],
)
def test_metrics_have_the_names_people_write(raw: str, shown: str) -> None:
    assert readable(raw) == shown


@pytest.mark.parametrize(
    ("now", "before", "verdict"),
    [
        (0.30, None, Quality.FIRST),
        (0.30, 0.25, Quality.IMPROVED),
        (0.26, 0.25, Quality.UNCHANGED),  # +4 %: under 5 %
        (0.2375, 0.25, Quality.REGRESSED),  # exactly -5 %: not under the threshold
        (0.30, 0.0, Quality.IMPROVED),  # no percentage of zero: only the direction
        (0.0, 0.0, Quality.UNCHANGED),
        (0.30, 0.30, Quality.UNCHANGED),  # equal is unchanged, even with a threshold of 0 (below)
    ],
)
def test_the_verdict_is_the_key_metrics_change_against_the_threshold(now, before, verdict) -> None:
    previous = (V1, {KEY: before}) if before is not None else None
    assert assess(V2, {KEY: now, "coverage": 0.4}, previous).quality is verdict


def test_equal_metrics_are_unchanged_with_a_threshold_of_zero() -> None:
    assert assess(V2, {KEY: 0.3}, (V1, {KEY: 0.3}), threshold_percent=0).quality is Quality.UNCHANGED
    assert assess(V2, {KEY: 0.3001}, (V1, {KEY: 0.3}), threshold_percent=0).quality is Quality.IMPROVED


def test_a_key_metric_the_recipe_does_not_return_is_unknown_and_says_so() -> None:
    assessment = assess(V2, {"coverage": 0.4}, (V1, {"coverage": 0.3}))
    assert assessment.quality is Quality.UNKNOWN and assessment.brief() == "no NDCG@25 among its metrics"
    assert assess(V2, {KEY: 0.3}, None, key_metric="coverage").quality is Quality.FIRST


def test_metrics_not_had_are_missing_not_a_verdict_of_the_model() -> None:
    missing = assess(V2, None, None, missing="ResourceInUseException: in use")
    assert missing.quality is Quality.UNKNOWN and missing.metrics == () and "in use" in missing.missing


@pytest.mark.parametrize(
    ("text", "seconds"), [("26h", 93600), ("8d", 691200), ("90m", 5400), ("2w", 1209600), ("3600", 3600)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "1m", "400d", "-5h"])
def test_a_bad_duration_is_named(text: str) -> None:
    with pytest.raises(NotExpectable, match=repr(text)):
        parse_duration(text)


def test_what_an_expectation_may_be_about() -> None:
    assert target_of(SOLUTION).value == "solution"
    assert target_of("arn:aws:personalize:us-east-1:123456789012:dataset/retail/ITEMS").value == "dataset"
    with pytest.raises(NotExpectable, match="is a solution-version"):
        target_of(V1)


def test_due_told_once_reminded_a_period_later_then_recovered() -> None:
    every = timedelta(hours=26)
    e = expect(SOLUTION, every, NOW)
    assert not cadence.needs_look(e, NOW + timedelta(hours=25))
    late = NOW + timedelta(hours=27)
    assert cadence.needs_look(e, late)
    told = cadence.after_look(e, late)
    assert [o.event for o in told.owed] == [Notice.OVERDUE] and told.overdue_since == iso(NOW + every)
    told = cadence.after_telling(cadence.claim(told, late, timedelta(minutes=2)), ("sns", "events"), 2)
    assert told.owed == () and not cadence.needs_look(told, late + timedelta(hours=20))
    # A poll that ran late still reminds once, a whole period after the due time.
    reminded = cadence.after_look(told, NOW + timedelta(hours=26 * 2 + 5))
    assert len(reminded.owed) == 1 and reminded.remind_at == iso(NOW + every * 3)
    recovered = cadence.met(replace_owed(reminded), iso(NOW + timedelta(hours=60)), V2, NOW + timedelta(hours=61))
    assert [o.event for o in recovered.owed] == [Notice.RECOVERED] and not recovered.overdue


def test_an_event_older_than_a_period_does_not_end_a_stall() -> None:
    told = cadence.after_look(expect(SOLUTION, timedelta(hours=1), NOW), NOW + timedelta(hours=3))
    stale = cadence.met(replace_owed(told), iso(NOW + timedelta(minutes=30)), V2, NOW + timedelta(hours=3))
    assert stale is not None and stale.overdue and stale.owed == ()


def test_the_stored_expectation_reads_back_whole() -> None:
    e = cadence.after_look(expect(SOLUTION, timedelta(days=8), NOW, declared=True), NOW + timedelta(days=9))
    assert decode_any(to_wire(encode_expectation(e))) == e


def replace_owed(expectation: cadence.Expectation) -> cadence.Expectation:
    """As if its notices were told."""
    return replace(expectation, owed=())
