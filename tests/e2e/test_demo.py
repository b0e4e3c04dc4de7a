"""`make demo` end to end: run the demo as a user would and read what it printed."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest

from notifier_local import cast, showing
from notifier_local.aws import Delivered
from notifier_local.inbox import Mail
from tests.userenv import user_environment
from tools import docs

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    # As `make demo` runs it for a user: their PATH and a home of their own, nothing this test process set.
    home = tmp_path_factory.mktemp("home")
    return subprocess.run(
        [sys.executable, "-m", "notifier", "demo"],
        env=user_environment(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_passes_and_says_so(printed) -> None:
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert "Demo passed in" in printed.stdout
    # Nothing of the toolchain's own: no Node banner, no jsii line as a bytes repr, no unset feature flags.
    for noise in ("b'", "end-of-life", "feature flags are not configured", "program.js"):
        assert noise not in printed.stdout + printed.stderr, noise
    assert printed.stdout.count("✓") == 18 and "✗" not in printed.stdout


def test_demo_s_webhooks_receive_through_eventbridge_api_destinations(printed) -> None:
    """The stack deployed with a Slack webhook and a PagerDuty routing key from Secrets Manager: the receiver the
    demo starts took EventBridge's requests, and the demo says what arrived."""
    assert "a Slack webhook URL and a PagerDuty routing key stored in Secrets Manager" in printed.stdout
    assert "✓ the Slack webhook got every notice the Slack channel did (11)" in printed.stdout
    assert (
        "✓ PagerDuty got what the failure-only address did (4), with the routing key from its secret" in printed.stdout
    )
    assert "*:x: Dataset export job weekly-items failed*" in printed.stdout


def test_demo_deploys_with_the_cdk_cli_and_tracks_with_the_notifier_cli(printed) -> None:
    out = printed.stdout
    assert "cdk: ✅ Environment aws://123456789012/us-east-1 bootstrapped." in out
    assert "cdk: ✅ PersonalizeJobNotifierDemo" in out
    assert re.search(
        r"tracking  arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-users  \(CREATE PENDING\)",
        out,
    )


def test_demo_shows_each_subscribers_view(printed) -> None:
    out = printed.stdout
    # The usage step adds the idle campaign (failures get it too); the organization's step a member's job and one
    # account's unreachable notice (failures get it too). Each count says what it counts: the jobs' emails the
    # checks count, and the rest by what they are about.
    assert (
        "ana@example.com received 11 emails: 8 about this account's jobs, 1 about what a campaign serves, "
        "1 about another account's job, 1 about an account it cannot read:" in out
    )
    assert (
        "oncall@example.com received 4 emails: 2 about this account's jobs, 1 about what a campaign serves, "
        "1 about an account it cannot read:" in out
    )
    assert "Slack channel (Amazon Q Developer): 11 message(s) in 8 thread(s)" in out
    assert "✅ Dataset export job *nightly-users* finished" in out
    assert "│ Dataset export job nightly-users finished\n" in out
    assert "│ Output: s3://acme-exports/nightly-users/" in out
    assert "│ Failed to write to s3://acme-exports/weekly-items/: Access Denied." in out
    assert re.search(r"nightly-users\s+CREATE PENDING → CREATE IN_PROGRESS → ACTIVE\s+2", out)
    # What a pipeline really loses: the export it tracked ahead and never created (no call deletes one).
    assert re.search(r"monthly-users\s+\(never described\) ⇢ not_found\s+1", out)
    assert "Dataset export job monthly-users does not exist in Personalize" in out
    assert "🧵 recommended-for-you/" in out  # a solution version's thread, by its solution's name
    assert "notifier: not tracked: arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly-usres" in out
    assert "(exit 2)" in out


def test_demo_hears_a_member_account_and_tells_once_of_one_it_cannot_read(printed) -> None:
    out = printed.stdout
    assert "→ its rule → this account's bus → 1 event for the track function" in out
    assert "track function: tracked arn:aws:personalize:us-east-1:210987654321:dataset-export-job/stage-users" in out
    assert "      │ Account: 210987654321" in out  # the member job's email names its account
    assert out.count("→ Personalize notifier: cannot read account 345678901234") == 1
    assert "poll: 1 described, 0 published: still unreachable, and nothing more is said" in out
    assert re.search(r"sandbox-users\s+dataset-export-job\s+not described yet\s+345678901234", out)  # list's ACCOUNT


def test_demo_shows_a_campaign_moving_to_a_new_solution_version_at_no_cost_while_it_rests(printed) -> None:
    out = printed.stdout
    assert "poll: 0 Personalize call(s), 0 described: the campaign rests, out of the poll, at no cost" in out
    [moved] = re.findall(
        r"→ Personalize: Campaign home-page updated: now serves (\w+), NDCG@25 [\d.]+, [\d.]+ % above (\w+)", out
    )
    assert moved[0] != moved[1]
    assert re.search(
        r"→ Personalize: Solution recommended-for-you version \w+ improved: NDCG@25 0\.3012 \(\+9\.5 %\)", out
    )
    assert re.search(r"home-page\s+CREATE PENDING → ACTIVE → update ACTIVE\s+2", out)


def test_demo_leaves_nothing_running(printed) -> None:
    [port] = re.findall(r"listening on http://localhost:(\d+)", printed.stdout)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(port))) != 0
    assert "nothing is left running" in printed.stdout


def test_demo_without_the_cdk_app_still_runs_the_whole_notifier(tmp_path) -> None:
    """What `notifier demo` does from an installed package, where no CDK app is shipped."""
    printed = subprocess.run(
        [sys.executable, "-m", "notifier", "demo", "--without-cdk"],
        env=user_environment(tmp_path),  # a user's, not this process's
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert "--without-cdk was given" in printed.stdout
    assert "cdk:" not in printed.stdout
    assert "Deploying the stack" not in printed.stdout and "Creating the stack's resources directly" in printed.stdout
    assert "no member template to deploy; skipped" in printed.stdout
    assert printed.stdout.count("✓") == 13


def test_demo_verdict_fails_when_a_notification_is_missing_or_doubled() -> None:
    jobs = [
        cast.DemoJob(name, f"arn:{name}", output) for name, output in (("a", "s3://b/a/"), ("b", None), ("c", None))
    ]

    def message(arn: str, status: str, event: str = "transition", id_: str | None = None) -> Delivered:
        body = {"jobArn": arn, "status": status, "event": event, "id": id_ or f"{arn}{status}"}
        return Delivered(subject=None, body=json.dumps(body), attributes={})

    complete = [
        message("arn:a", "CREATE IN_PROGRESS"),
        message("arn:b", "CREATE IN_PROGRESS"),
        message("arn:a", "ACTIVE"),
        message("arn:b", "CREATE FAILED"),
        message("arn:c", None, event="not_found"),
    ]
    change = {"what": "Solution version", "before": "arn:v1", "after": "arn:v2"}
    moved = Delivered(
        subject=None,
        body=json.dumps(
            {
                "jobArn": "arn:cp",
                "status": "ACTIVE",
                "event": "transition",
                "id": "u",
                "update": True,
                "changes": [change],
            }
        ),
        attributes={},
    )
    campaign = cast.DemoCampaign("arn:cp", "arn:v1", "arn:v2", [moved])
    complete += [message("arn:cp", "ACTIVE"), message("arn:v2", "ACTIVE"), moved]
    mails = [Mail("x", "email", "s", "s3://b/a/ " + cast.FAILURE_REASON, {"status": "ACTIVE"})] * 8
    assert all(passed for passed, _ in showing.check(jobs, campaign, complete, mails, [])[:4])
    assert not showing.check(jobs, campaign, complete[:-1], mails, [])[0][0]
    assert not showing.check(jobs, campaign, [*complete, complete[0]], mails, [])[1][0]
    unmoved = cast.DemoCampaign("arn:cp", "arn:v1", "arn:v2", [message("arn:cp", "ACTIVE")])
    assert not showing.check(jobs, unmoved, complete, mails, [])[3][0]


def test_the_docs_show_what_the_demo_prints(printed) -> None:
    """Its steps and checks as they are; the whole transcript but for what differs between runs (the port,
    times, ids): a change to the demo or to a message that is not carried into the docs fails here."""
    page = docs.page_with("demo").read_text()
    outline = docs.sections(page)["demo"].split("```\n", 2)[1].rstrip("\n").splitlines()
    assert outline == docs.demo_outline(printed.stdout), "the demo's outline is stale: run `make docs`"
    shown, ran = docs.run_specific_removed(docs.demo_in_readme(page)), docs.run_specific_removed(printed.stdout)
    assert shown == ran, "the demo's transcript is stale: run `make docs`"
