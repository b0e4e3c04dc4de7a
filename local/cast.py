"""Who and what the demo plays with: its stack, the organization and its accounts, the people subscribed, the
jobs' ARNs (a typo among them) and the failure it shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifier_local.aws import Delivered
from notifier_local.server import ACCOUNT, REGION

STACK = "PersonalizeJobNotifierDemo"
ORGANIZATION = "o-demo0a1b2c"
MEMBER, OUTSIDER = "210987654321", "345678901234"  # a member with the member stack; one without it yet
EVERYTHING, FAILURES = "ana@example.com", "oncall@example.com"
DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/retail-demo/INTERACTIONS"
TYPO = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/nightly-usres"
NEVER_CREATED = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-export-job/monthly-users"
# The webhooks the demo deploys, from secrets it stores first as a user does (what each holds: an incoming webhook's
# URL, a PagerDuty integration key; the embedded AWS delivers their requests to a loopback receiver).
WEBHOOK_SECRETS = {
    "slackWebhookUrl": ("demo/slack-webhook", "https://hooks.slack.com/services/TDEMO0000/BDEMO0000/demowebhooktoken"),
    "pagerDutyRoutingKey": ("demo/pagerduty-routing-key", "DEMOROUTINGKEY0000000000000000AB"),
}
FAILURE_REASON = (
    "Failed to write to s3://acme-exports/weekly-items/: Access Denied. Check that the role "
    "arn:aws:iam::123456789012:role/PersonalizeExport may call s3:PutObject on this bucket."
)


@dataclass
class DemoJob:
    name: str
    arn: str
    output: str | None
    moves: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # before poll N: (status, reason)


@dataclass
class DemoCampaign:
    campaign: str
    old_version: str
    new_version: str
    delivered: list[Delivered]


@dataclass
class DemoOrganization:
    delivered: list[Delivered]
    checks: list[tuple[bool, str]]


@dataclass
class DemoUsage:
    delivered: list[Delivered]
    checks: list[tuple[bool, str]]
