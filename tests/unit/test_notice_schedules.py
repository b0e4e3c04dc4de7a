"""The peers' schedules the notice benchmark replays, and its day of jobs, as their sources describe them."""

from __future__ import annotations

import math

import pytest

from bench.notice import JOBS_PER_DAY, LONGEST, SHORTEST, day_of_jobs, run_step_functions, sfn_check_times

pytestmark = pytest.mark.unit


def test_the_step_functions_loop_waits_60_s_then_1_02_times_longer_and_gives_up_after_100_checks() -> None:
    checks = sfn_check_times(created=1_000.0)
    assert len(checks) == 100
    assert checks[0] == pytest.approx(1_060.0) and checks[1] - checks[0] == pytest.approx(61.2)
    waits = [later - earlier for earlier, later in zip([1_000.0, *checks], checks, strict=False)]
    # After an hour it waits about 2 minutes; after three hours about 4.6 (the figures).
    after_an_hour = next(w for at, w in zip(checks, waits, strict=True) if at - 1_000 >= 3_600)
    after_three = next(w for at, w in zip(checks, waits, strict=True) if at - 1_000 >= 3 * 3_600)
    assert 110 < after_an_hour < 130 and 260 < after_three < 290
    assert checks[-1] - 1_000 == pytest.approx(60 * (1.02**100 - 1) / 0.02)


def test_a_job_outliving_the_loop_is_never_told() -> None:
    from bench.notice import Job

    long_one = Job("long", created=0.0, finishes=6 * 3600.0, status="ACTIVE")  # the loop ends after ~5.2 h
    outcome = run_step_functions([long_one], check_usd=lambda running: 0.0)
    assert outcome.delays == []


def test_the_day_of_jobs_is_reproducible_and_within_its_bounds() -> None:
    jobs = day_of_jobs()
    assert jobs == day_of_jobs() and len(jobs) == JOBS_PER_DAY
    assert all(SHORTEST <= job.finishes - job.created <= LONGEST for job in jobs)
    assert all(0 <= job.created <= 20 * 3600 for job in jobs)
    assert {job.status for job in jobs} == {"ACTIVE", "CREATE FAILED"}
    assert math.isclose(sum(job.hours for job in jobs), sum((j.finishes - j.created) / 3600 for j in jobs))
