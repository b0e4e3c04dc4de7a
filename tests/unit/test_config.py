"""Environment settings: validated once, each bad value named."""

from __future__ import annotations

import pytest

from notifier.config import ConfigError, Settings

pytestmark = pytest.mark.unit

GOOD = {"TABLE_NAME": "tracked-jobs", "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:job-notifications"}


def test_defaults_apply_when_optional_settings_are_absent() -> None:
    settings = Settings.from_env(GOOD)
    assert (settings.table_name, settings.max_concurrency, settings.time_margin_seconds) == ("tracked-jobs", 8, 15.0)


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
    ],
)
def test_bad_settings_are_named(env, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
