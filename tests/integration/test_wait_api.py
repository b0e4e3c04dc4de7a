"""`wait_for` and `wait_on` from Python, as Airflow, Dagster or a notebook calls them: describing directly or
reading the table a poll keeps; the intervals a wait looks at; what a timeout says."""

from __future__ import annotations

import io

import pytest

import notifier
from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.store import build_store
from notifier.cli.output import Printer
from notifier.cli.progress import ProgressLine
from notifier.domain import watched
from notifier.domain.arns import parse_arn
from notifier.ports import DescribeFailed
from notifier.usecases.waiting import (
    FIRST_INTERVAL_SECONDS,
    LONGEST_INTERVAL_SECONDS,
    Describing,
    NotKnown,
    ReadingTable,
    WaitTimedOut,
    next_interval,
    settled,
    wait_on,
)
from notifier_local import personalize as emulator
from tests.conftest import World

pytestmark = pytest.mark.integration


class Pipeline:
    """Time that passes only when the wait sleeps; what Personalize does meanwhile is scripted per sleep."""

    def __init__(self, world: World, script: list) -> None:
        self.world, self.script, self.slept = world, list(script), []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.world.clock.advance(seconds=seconds)
        if self.script:
            self.script.pop(0)()

    def monotonic(self) -> float:
        return self.world.clock().timestamp()


def test_the_package_exports_wait_for_typed() -> None:
    assert notifier.wait_for is notifier.app.waiting.wait_for  # type: ignore[attr-defined]
    assert notifier.wait_for.__annotations__["return"] == "list[Settled]"


def test_describing_directly_tells_each_ending_in_the_order_given(world: World) -> None:
    done, failing = world.export_job("done"), world.export_job("failing")
    pipeline = Pipeline(
        world,
        [
            lambda: emulator.set_status(done, "CREATE IN_PROGRESS"),
            lambda: emulator.set_status(failing, "CREATE FAILED", failure_reason="Bucket policy denies Personalize"),
            lambda: emulator.set_status(done, "ACTIVE"),
        ],
    )
    heard = []
    source = Describing(PersonalizeResources(world.session), world.clock)
    results = wait_on(
        source,
        [done, failing],
        on_settled=heard.append,
        sleep=pipeline.sleep,
        monotonic=pipeline.monotonic,
        clock=world.clock,
    )
    assert [r.arn for r in results] == [done, failing] and [r.arn for r in heard] == [failing, done]
    assert results[0].succeeded and results[0].output_path == "s3://exports-bucket/done/"
    assert results[1].failure_reason == "Bucket policy denies Personalize" and not results[1].succeeded
    assert results[1].document["failureReason"] == "Bucket policy denies Personalize"
    assert pipeline.slept[0] <= FIRST_INTERVAL_SECONDS * 1.2


def test_reading_the_table_tracks_it_and_makes_no_describe(world: World) -> None:
    arn = world.export_job("nightly")
    store = build_store(world.table_name, world.session)
    source = ReadingTable(store, PersonalizeResources(world.session), world.clock)

    def finish_and_poll() -> None:
        emulator.set_status(arn, "ACTIVE")
        world.poll()

    pipeline = Pipeline(world, [lambda: None, finish_and_poll])
    emulator.calls.reset()
    [result] = wait_on(source, [arn], sleep=pipeline.sleep, monotonic=pipeline.monotonic, clock=world.clock)
    assert result.succeeded and store.get(arn) is not None  # tracked, and the poll told it
    assert emulator.calls.counts["DescribeDatasetExportJob"] == 2  # track's one, the poll's one: none by the wait


def test_a_timeout_says_what_settled_and_what_still_runs(world: World) -> None:
    done, running = world.export_job("done"), world.export_job("running")
    emulator.set_status(done, "ACTIVE")
    pipeline = Pipeline(world, [])
    source = Describing(PersonalizeResources(world.session), world.clock)
    with pytest.raises(WaitTimedOut) as timed_out:
        wait_on(source, [done, running], timeout=120, sleep=pipeline.sleep, monotonic=pipeline.monotonic)
    assert [s.arn for s in timed_out.value.settled] == [done]
    assert [j.arn for j in timed_out.value.pending] == [running]
    assert sum(pipeline.slept) == pytest.approx(120)  # the last sleep ends at the timeout, not after


def test_an_arn_personalize_does_not_know_is_named_before_any_wait(world: World) -> None:
    source = Describing(PersonalizeResources(world.session), world.clock)
    missing = "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/never-made"
    with pytest.raises(NotKnown, match="never-made"):
        wait_on(source, [missing], sleep=lambda _: pytest.fail("slept"))


def test_intervals_start_short_grow_to_a_ceiling_and_back_off_on_throttling() -> None:
    whole = lambda: 0.0  # noqa: E731 - the draw that keeps each interval whole
    intervals, previous = [], None
    for _ in range(12):
        previous = next_interval(previous, throttled=False, draw=whole)
        intervals.append(previous)
    assert intervals[0] == FIRST_INTERVAL_SECONDS and intervals == sorted(intervals)
    assert max(intervals) == LONGEST_INTERVAL_SECONDS
    assert next_interval(5.0, throttled=True, draw=whole) == 60.0
    assert next_interval(600.0, throttled=True, draw=whole) == 120.0  # throttled looks do not drift to hours
    assert next_interval(None, False, draw=lambda: 1.0) == pytest.approx(4.0)  # jitter: down to 80 %
    assert next_interval(30.0, False, draw=lambda: 1.0) == pytest.approx(24.0)  # below the ceiling too


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "ci", "shown"), [(True, None, True), (False, None, False), (True, "true", False)])
def test_the_progress_line_is_for_a_terminal_only(world: World, monkeypatch, terminal, ci, shown) -> None:
    if ci:
        monkeypatch.setenv("CI", ci)
    else:
        monkeypatch.delenv("CI", raising=False)
    err = Terminal() if terminal else io.StringIO()
    line = ProgressLine(Printer(io.StringIO(), err))
    job = watched.start_watching(parse_arn(world.export_job("nightly")), world.clock())
    line.show([job.evolve(status="CREATE IN_PROGRESS")], 125.0)
    line.clear()
    written = err.getvalue()
    assert ("waiting 2 min 5 s: nightly CREATE IN_PROGRESS" in written) is shown
    assert written.endswith("\r") if shown else written == ""


def test_a_resource_waited_on_is_looked_at_again_before_it_counts_as_settled(world: World) -> None:
    """A pipeline updates a campaign, then waits: the record at rest from yesterday is not the answer."""
    from tests.integration.test_resources import Resources

    _, _, campaign = Resources(world).active_campaign()
    store = build_store(world.table_name, world.session)
    source = ReadingTable(store, PersonalizeResources(world.session), world.clock)
    record = source.start(campaign)
    assert record.wake_until is not None  # woken: the poll describes it again
    assert settled(record, world.clock()) is None


def test_a_refusal_that_looking_again_will_not_mend_ends_the_wait(world: World) -> None:
    arn = world.export_job("denied")
    source = Describing(PersonalizeResources(world.session), world.clock)
    pipeline = Pipeline(world, [lambda: emulator.inject_fault(arn, "AccessDeniedException", "not authorized")])
    with pytest.raises(DescribeFailed, match="AccessDeniedException"):
        wait_on(source, [arn], sleep=pipeline.sleep, monotonic=pipeline.monotonic, clock=world.clock)
    assert len(pipeline.slept) == 1  # the first look after the refusal ended it: no more sleeping
