"""Reading another account's Personalize: the ARN's account decides, through the role assumed there.

moto's sts:AssumeRole returns credentials that act in the role's account, and the emulator refuses a caller of
another account as AWS does (AccessDeniedException: Personalize has no resource policies).
"""

from __future__ import annotations

import boto3
import pytest

from notifier.adapters.accounts import AccountSessions
from notifier.adapters.personalize import PersonalizeResources
from notifier.domain.reachability import AccountMark
from notifier_local import personalize as emulator
from notifier_local.aws import account_admin
from tests.conftest import ACCOUNT, REGION
from tests.fakes import FakeChannel

pytestmark = pytest.mark.integration

MEMBER = "210987654321"
ROLE = "PersonalizeJobNotifierRead"


def member_session(home: boto3.session.Session, account: str = MEMBER) -> boto3.session.Session:
    """A session of the member account, as the organization's admin reaches it (the role Organizations makes)."""
    return account_admin(account, REGION)


def give_member_role(world, account: str = MEMBER) -> None:
    """The member role as the member stack makes it (its trust and policy are evaluated in tests/infra)."""
    member_session(world.session, account).client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument="{}")


def member_export(world, with_role: bool = True) -> str:
    if with_role:
        give_member_role(world)
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
    from notifier.domain.arns import parse_arn
    from notifier.domain.watched import start_watching

    world.store.add(start_watching(parse_arn(arn), world.clock()))


def test_the_poll_reads_members_when_its_environment_names_their_role(world) -> None:
    """MEMBER_ROLE_NAME (and MEMBER_EXTERNAL_ID), as a function's environment gives them."""
    from notifier.app.compose import build_poller
    from notifier.app.settings import Settings

    arn = member_export(world)
    track_from_home(world, arn)
    emulator.set_status(arn, "ACTIVE")
    environment = {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "MEMBER_ROLE_NAME": ROLE}
    poller = build_poller(Settings.from_env(environment), world.session)
    poller._clock = world.clock
    report = poller.poll()
    assert (report.describe_errors, report.notifications_published) == (0, 1), report.problems


def member_accounts(world, **kwargs) -> tuple[AccountSessions, PersonalizeResources]:
    accounts = AccountSessions(world.session, role_name=ROLE, home_account=ACCOUNT, **kwargs)
    return accounts, PersonalizeResources(world.session, accounts=accounts)


def unreachable_notices(messages: list) -> list:
    return [message for message in messages if message.attributes.get("outcome") == "unreachable"]


def test_an_account_without_the_role_is_told_once_however_many_of_its_jobs_are_watched(world) -> None:
    clock = [0.0]
    accounts, personalize = member_accounts(world, monotonic=lambda: clock[0])
    session = member_session(world.session)
    jobs = [
        session.client("personalize").create_dataset_export_job(
            jobName=f"member-{n}",
            datasetArn=f"arn:aws:personalize:{REGION}:{MEMBER}:dataset/retail/INTERACTIONS",
            roleArn=f"arn:aws:iam::{MEMBER}:role/PersonalizeExport",
            jobOutput={"s3DataDestination": {"path": f"s3://member-exports/{n}/"}},
        )["datasetExportJobArn"]
        for n in range(3)
    ]
    for arn in jobs:
        track_from_home(world, arn)
    report = poll_with(world, personalize)
    assert list(report.unreachable) == [MEMBER] and report.describe_errors == 0
    assert accounts.assumed == 1  # the refusal is kept: one AssumeRole for the three jobs
    [notice] = unreachable_notices(world.delivered())
    assert notice.subject == f"Personalize notifier: cannot read account {MEMBER}"
    assert notice.document["roleArn"] == f"arn:aws:iam::{MEMBER}:role/{ROLE}"
    assert "AccessDenied" in notice.document["reason"]
    # Later polls, still refused, say nothing more; the jobs keep their state.
    for _ in range(2):
        clock[0] += 61
        world.clock.advance(minutes=1)
        report = poll_with(world, personalize)
        assert list(report.unreachable) == [MEMBER]
    assert unreachable_notices(world.delivered()) == []  # told once
    assert {world.store.get(arn).status for arn in jobs} == {None}

    # The member stack is deployed: the next poll reads the jobs and tells what they did.
    give_member_role(world)
    for arn in jobs:
        emulator.set_status(arn, "ACTIVE")
    clock[0] += 61
    world.clock.advance(minutes=1)
    report = poll_with(world, personalize)
    assert report.unreachable == {} and report.notifications_published == 3, report.problems
    assert MEMBER in {message.document.get("account") for message in world.delivered()}

    # A later outage (the role deleted, its credentials expired) is told again: the mark was cleared.
    assert [entry for entry in world.store.active_records() if isinstance(entry, AccountMark)] == []


def test_a_member_role_that_refuses_personalize_is_the_accounts_problem_not_each_jobs(world) -> None:
    """The role exists but an SCP or a narrowed policy denies the call: AccessDeniedException from Personalize."""
    arn = member_export(world)
    track_from_home(world, arn)
    _, personalize = member_accounts(world)
    emulator.refuse_account(MEMBER)
    try:
        report = poll_with(world, personalize)
    finally:
        emulator.refuse_account(None)
    assert list(report.unreachable) == [MEMBER] and report.describe_errors == 0
    [notice] = unreachable_notices(world.delivered())
    assert (
        "AccessDeniedException" in notice.document["reason"] and "service control policy" in notice.document["reason"]
    )


def test_a_notice_that_could_not_be_published_is_retried_by_the_next_poll_and_sent_once(world) -> None:
    clock = [0.0]
    arn = member_export(world, with_role=False)
    track_from_home(world, arn)
    _, personalize = member_accounts(world, monotonic=lambda: clock[0])
    poller = world.poller()
    poller._describer = personalize
    channel = FakeChannel("sns", fail_next=1)
    poller._channels = [channel]
    report = poller.poll()
    assert report.publish_errors == 1 and channel.delivered == []
    for _ in range(2):
        world.clock.advance(minutes=3)  # past any lease a poll held
        clock[0] += 61
        poller.poll()
    assert [notification.attributes["outcome"] for notification in channel.delivered] == ["unreachable"]


def test_the_cli_lists_an_unreachable_account_and_says_why_it_tracks_a_members_job_without_status(world) -> None:
    """From the central account, as its people run the CLI: their identity cannot read a member's job."""
    import json

    from tests.integration.test_cli_commands import in_table

    arn = member_export(world, with_role=False)
    code, out, err = in_table(world, "track", arn)
    assert code == 0 and out.startswith(f"tracking  {arn}")
    assert f"is account {MEMBER}'s, which your identity cannot read" in err and "reader role" in err
    _, personalize = member_accounts(world)
    poll_with(world, personalize)
    code, out, err = in_table(world, "list")
    assert code == 0 and MEMBER in out.splitlines()[1]  # the ACCOUNT column
    assert f"account {MEMBER} cannot be read since" in err and f"role/{ROLE}" in err
    code, out, _ = in_table(world, "list", "--json")
    [unreachable] = json.loads(out)["unreachableAccounts"]
    assert unreachable["account"] == MEMBER and unreachable["roleArn"] == f"arn:aws:iam::{MEMBER}:role/{ROLE}"


def test_discover_lists_in_each_member_account_through_a_role_the_caller_may_assume(world) -> None:
    """`notifier discover --accounts`: a person's sweep of the members, through their own cross-account role (the
    member role trusts only the notifier's functions); what it finds is read by the poll through that role."""
    import json

    from tests.integration.test_cli_commands import in_table

    arn = member_export(world, with_role=False)
    code, out, err = in_table(world, "discover", "--all", "--accounts", MEMBER, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["tracked"] == [arn] and document["accounts"][0]["account"] == MEMBER
    assert world.store.get(arn) is not None
    code, _, err = in_table(world, "discover", "--all", "--accounts", "2109876543")
    assert code == 2 and "--accounts: '2109876543' is not an AWS account ID" in err
    code, _, err = in_table(world, "discover", "--all", "--accounts", MEMBER, "--role", "NoSuchRole")
    assert code == 1 and f"cannot list in account {MEMBER}: AccessDenied" in err and "--role" in err


def test_the_polls_discovery_lists_under_a_members_parent_in_that_account(world) -> None:
    """-c discover=<a member's dataset ARN>: the poll's discovery lists there through the member role."""
    from notifier.app.compose import PollCycle
    from notifier.app.settings import Settings

    arn = member_export(world)
    dataset = f"arn:aws:personalize:{REGION}:{MEMBER}:dataset/retail/INTERACTIONS"
    environment = {
        "TABLE_NAME": world.table_name,
        "TOPIC_ARN": world.topic_arn,
        "MEMBER_ROLE_NAME": ROLE,
        "DISCOVER": dataset,
    }
    report = PollCycle(Settings.from_env(environment), world.session).run()
    assert report.jobs_discovered == 1 and world.store.get(arn) is not None


def test_the_cli_poll_tells_an_unreachable_account_once_and_exits_1(world, monkeypatch) -> None:
    """`notifier poll` with the reader role's name set: the notice has no job ARN, and the poll says so and fails."""
    import json

    from tests.integration.test_cli_commands import in_table

    arn = member_export(world, with_role=False)
    track_from_home(world, arn)
    monkeypatch.setenv("MEMBER_ROLE_NAME", ROLE)
    code, out, err = in_table(world, "poll", "--topic", world.topic_arn, "--json")
    assert code == 1, err
    [published] = json.loads(out)["published"]
    assert (published["jobArn"], published["account"]) == (None, MEMBER)
    code, out, _ = in_table(world, "poll", "--topic", world.topic_arn)
    assert code == 1 and "0 notification(s) published" in out and "1 account(s) unreachable" in out


def test_a_member_account_s_campaigns_are_read_through_its_role_and_their_notices_name_it(world) -> None:
    """The hourly usage reading asks the member's CloudWatch, through the member role, for what its campaigns
    served: one nobody calls is told idle, naming its account; one its own CloudWatch counts is in use."""
    from datetime import timedelta

    from notifier.app.compose import build_poller
    from notifier.app.settings import Settings
    from notifier.usecases.tracking import track

    give_member_role(world)
    member = member_session(world.session)
    made = emulator.serving_campaign(
        member.client("personalize"),
        group="member-retail",
        solution="member-movies",
        campaign="member-home",
        sync=False,
    )
    busy = member.client("personalize").create_campaign(
        name="member-busy", solutionVersionArn=made.version, minProvisionedTPS=1
    )["campaignArn"]
    two_days_ago = (world.clock() - timedelta(days=2)).timestamp()
    environment = {"TABLE_NAME": world.table_name, "TOPIC_ARN": world.topic_arn, "MEMBER_ROLE_NAME": ROLE}
    settings = Settings.from_env(environment)
    accounts = AccountSessions(world.session, role_name=ROLE, home_account=ACCOUNT)
    for arn in (made.campaign, busy):
        emulator.set_status(arn, "ACTIVE", at=two_days_ago)
        assert track(arn, world.store, PersonalizeResources(world.session, accounts=accounts)).outcome == "tracked"
    until = world.clock().timestamp()
    emulator.answer_requests(member.client("cloudwatch"), busy, [7200.0] * 24, until=until)  # 2 TPS: its own

    poller = build_poller(settings, world.session)
    poller._clock = world.clock
    report = poller.poll()
    assert (report.usage_resources, report.problems) == (2, [])
    told = {message.document["jobArn"]: message for message in world.delivered()}
    assert set(told) == {made.campaign}
    idle = told[made.campaign]
    assert (idle.attributes["outcome"], idle.document["account"]) == ("idle", MEMBER)
    reading = world.store.get(busy).usage.reading
    assert (reading.requests, reading.unreadable) == (7200.0 * 24, None)
