"""Environment settings: validated once, each bad value named."""

from __future__ import annotations

import pytest

from notifier.config import ConfigError, Settings

pytestmark = pytest.mark.unit

GOOD = {"TABLE_NAME": "tracked-jobs", "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:job-notifications"}


def test_defaults_apply_when_optional_settings_are_absent() -> None:
    settings = Settings.from_env(GOOD)
    assert (settings.table_name, settings.max_concurrency, settings.time_margin_seconds) == ("tracked-jobs", 8, 15.0)
    assert settings.poll_settings().versions_every.total_seconds() == 3600  # automatic training: hourly looks


def test_solution_checks_can_run_every_poll() -> None:
    assert (
        Settings.from_env({**GOOD, "SOLUTION_CHECK_MINUTES": "0"}).poll_settings().versions_every.total_seconds() == 0
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TOPIC_ARN": GOOD["TOPIC_ARN"]}, "TABLE_NAME is required"),
        ({"TABLE_NAME": "t", "TOPIC_ARN": "  "}, "TOPIC_ARN is required"),
        ({**GOOD, "TOPIC_ARN": "job-notifications"}, "TOPIC_ARN 'job-notifications' is not an SNS topic ARN"),
        ({**GOOD, "MAX_CONCURRENCY": "many"}, "MAX_CONCURRENCY='many' is not a number"),
        ({**GOOD, "MAX_CONCURRENCY": "0"}, "MAX_CONCURRENCY='0' is out of range"),
        ({**GOOD, "RETENTION_DAYS": "99999"}, "RETENTION_DAYS='99999' is out of range"),
        ({**GOOD, "PERSONALIZE_MAX_RPS": "0.2"}, "PERSONALIZE_MAX_RPS=0.2 is under 1 request per second"),
        ({**GOOD, "EVENT_SOURCE": "aws.personalize"}, "sources starting with 'aws.' are AWS's own"),
        ({**GOOD, "SOLUTION_CHECK_MINUTES": "hourly"}, "SOLUTION_CHECK_MINUTES='hourly' is not a number"),
        ({**GOOD, "SOLUTION_CHECK_MINUTES": "20000"}, r"SOLUTION_CHECK_MINUTES='20000' is out of range \[0, 10080\]"),
    ],
)
def test_bad_settings_are_named(env, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
