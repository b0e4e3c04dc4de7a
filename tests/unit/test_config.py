"""Environment settings: validated once, each bad value named."""

from __future__ import annotations

import pytest

from notifier.app.settings import ConfigError, Settings

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


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"MEMBER_ROLE_NAME": "has space"}, "MEMBER_ROLE_NAME='has space' is not an IAM role name"),
        ({"MEMBER_ROLE_NAME": "r" * 65}, "is not an IAM role name"),
        ({"MEMBER_EXTERNAL_ID": "org-secret"}, "MEMBER_EXTERNAL_ID is set without MEMBER_ROLE_NAME"),
        ({"MEMBER_ROLE_NAME": "Read", "MEMBER_EXTERNAL_ID": "x"}, "MEMBER_EXTERNAL_ID is not an external ID"),
    ],
)
def test_a_member_role_of_the_wrong_shape_fails_at_cold_start_naming_it(variables: dict, named: str) -> None:
    from notifier.app.settings import member_access

    with pytest.raises(ConfigError) as failed:
        member_access(variables)
    assert named in str(failed.value)


def test_the_member_role_is_read_by_both_functions_and_unset_means_this_account_only() -> None:
    from notifier.app.settings import MemberAccess, TrackSettings

    given = {"TABLE_NAME": "t", "MEMBER_ROLE_NAME": "PersonalizeJobNotifierRead", "MEMBER_EXTERNAL_ID": "org-42"}
    assert TrackSettings.from_env(given).members == MemberAccess("PersonalizeJobNotifierRead", "org-42")
    assert TrackSettings.from_env({"TABLE_NAME": "t"}).members is None
