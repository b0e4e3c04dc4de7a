"""The benchmark's verdicts: a target this run measured nothing for is "not measured", never met."""

from __future__ import annotations

import pytest

from bench.__main__ import Result, print_targets, targets, verdict

pytestmark = pytest.mark.unit


def result(n: int, a: int, poller: str = "notifier", calls: int = 0) -> Result:
    return Result(
        n=n,
        a=a,
        poller=poller,
        wall_seconds=1.0,
        wall_is_bound=False,
        personalize_calls=calls,
        throttled=0,
        dynamodb_reads=1,
        dynamodb_writes=0,
        sns_publishes=0,
        peak_memory_mb=1.0,
        transitions_made=a,
        transitions_notified=a,
        throttle_bound_seconds=1.0,
    )


def test_a_run_of_one_scenario_measures_no_target_and_says_so(capsys) -> None:
    checks = targets([result(1000, 100, calls=30), result(1000, 100, "naive", calls=1000)])
    assert [passed for passed, _ in checks] == [None, None, None]
    print_targets(checks)
    printed = capsys.readouterr().out
    assert "✓" not in printed and printed.count("not measured") == 3
    assert verdict(checks) == 0  # nothing missed: nothing was judged


def test_measured_targets_are_met_or_missed() -> None:
    checks = targets(
        [result(100, 0), result(10_000, 100, calls=100), result(10_000, 100, "naive", calls=10_000), result(1000, 1000)]
    )
    assert [passed for passed, _ in checks] == [True, True, True]
    missed = targets([result(10_000, 100, calls=5_000), result(10_000, 100, "naive", calls=10_000)])
    assert [passed for passed, _ in missed] == [None, False, None] and verdict(missed) == 1


def test_the_benchmark_does_not_start_the_cdk_to_print_its_help() -> None:
    """`make bench ARGS=--help` took 11 s and printed jsii's banner: it imported aws_cdk for two constants."""
    import subprocess
    import sys

    probe = "import sys, bench.__main__; print('aws_cdk' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False" and done.stderr == ""
