"""Reading another account's Personalize: the ARN's account decides, through the role assumed there.

moto's sts:AssumeRole returns credentials that act in the role's account, and the emulator refuses a caller of
another account as AWS does (AccessDeniedException: Personalize has no resource policies).
"""

from __future__ import annotations

import boto3
import pytest

from notifier.accounts import AccountSessions
from notifier.personalize import PersonalizeResources
from notifier_local import personalize as emulator
from tests.conftest import ACCOUNT, REGION

pytestmark = pytest.mark.integration

MEMBER = "210987654321"
ROLE = "PersonalizeJobNotifierRead"


def member_session(home: boto3.session.Session) -> boto3.session.Session:
    """A session of the member account, as its own people have one."""
    credentials = home.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/Admin", RoleSessionName="member-admin"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def member_export(world) -> str:
    return (
        member_session(world.session)
        .client("personalize")
        .create_dataset_export_job(
            jobName="member-nightly",
            datasetArn=f"arn:aws:personalize:{REGION}:{MEMBER}:dataset/retail/INTERACTIONS",
            roleArn=f"arn:aws:iam::{MEMBER}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": "s3://member-exports/nightly/"}},
        )["datasetExportJobArn"]
    )


def poll_with(world, personalize: PersonalizeResources):
    poller = world.poller()
    poller._describer = personalize
    return poller.poll()


def test_another_accounts_job_is_refused_without_its_role_as_aws_refuses_it(world) -> None:
    arn = member_export(world)
    assert arn.split(":")[4] == MEMBER
    track_from_home(world, arn)
    report = poll_with(world, PersonalizeResources(world.session))
    assert report.describe_errors == 1 and "AccessDeniedException" in " ".join(report.problems)
    assert world.delivered() == []


def test_the_member_role_reads_it_and_its_credentials_are_kept_across_polls(world) -> None:
    arn = member_export(world)
    track_from_home(world, arn)
    accounts = AccountSessions(world.session, role_name=ROLE, home_account=ACCOUNT)
    personalize = PersonalizeResources(world.session, accounts=accounts)
    emulator.set_status(arn, "CREATE IN_PROGRESS")
    poll_with(world, personalize)
    emulator.set_status(arn, "ACTIVE")
    world.clock.advance(minutes=1)
    report = poll_with(world, personalize)
    assert report.describe_errors == 0 and report.notifications_published == 1
    subjects = [message.subject for message in world.delivered()]
    assert subjects[-1] == "Personalize: Dataset export job member-nightly finished: s3://member-exports/nightly/"
    assert accounts.assumed == 1  # one AssumeRole for both polls
    # This account's own jobs are read with its own credentials: no role is assumed for them.
    own = world.export_job("home-nightly")
    track_from_home(world, own)
    poll_with(world, personalize)
    assert accounts.assumed == 1


def test_credentials_near_their_expiry_are_renewed_before_a_call(world) -> None:
    """Fifteen-minute credentials are inside botocore's refresh window from the start: each call renews them."""
    arn = member_export(world)
    accounts = AccountSessions(world.session, role_name=ROLE, home_account=ACCOUNT, duration_seconds=900)
    client = PersonalizeResources(world.session, accounts=accounts).client_for(arn)
    for _ in range(2):
        client.describe_dataset_export_job(datasetExportJobArn=arn)
    assert accounts.assumed >= 2


def test_the_role_is_assumed_with_the_external_id_when_one_is_set(world) -> None:
    asked: list[dict] = []
    world.session.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: asked.append(params))
    arn = member_export(world)
    accounts = AccountSessions(world.session, role_name=ROLE, external_id="org-secret", home_account=ACCOUNT)
    PersonalizeResources(world.session, accounts=accounts).client_for(arn).describe_dataset_export_job(
        datasetExportJobArn=arn
    )
    [call] = [params for params in asked if params["RoleArn"].endswith(f":role/{ROLE}")]
    assert call["RoleArn"] == f"arn:aws:iam::{MEMBER}:role/{ROLE}" and call["ExternalId"] == "org-secret"


def track_from_home(world, arn: str) -> None:
    """Tracked as the central account records it (its own describe would be refused: no baseline)."""
    from notifier.arns import parse_arn
    from notifier.watched import start_watching

    world.store.add(start_watching(parse_arn(arn), world.clock()))


def test_the_poll_reads_members_when_its_environment_names_their_role(world) -> None:
    """MEMBER_ROLE_NAME (and MEMBER_EXTERNAL_ID), as a function's environment gives them."""
    from notifier.config import Settings
    from notifier.runtime import build_poller

    arn = member_export(world)
    track_from_home(world, arn)
    emulator.set_status(arn, "ACTIVE")
    environment = {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "MEMBER_ROLE_NAME": ROLE}
    poller = build_poller(Settings.from_env(environment), world.session)
    poller._clock = world.clock
    report = poller.poll()
    assert (report.describe_errors, report.notifications_published) == (0, 1), report.problems
