"""Every deploy-time option with a value to deploy it with, and the configurations built from them: the default,
each option alone, and all of them together. Role, edge and invocation tests run over these configurations, and
`test_every_option_the_app_reads_is_in_the_matrix` holds the list equal to the options the app reads, so an
option added later cannot be left out."""

from __future__ import annotations

from pathlib import Path

from infra.settings import DeploySettings

# A value unlike the default for each option (options that only work together form one entry).
EXAMPLES: dict[str, dict[str, str]] = {
    "stackName": {"stackName": "RetailNotifier"},
    "pollMinutes": {"pollMinutes": "5"},
    "recheckSeconds": {"recheckSeconds": "10"},
    "solutionCheckMinutes": {"solutionCheckMinutes": "0"},
    "tracing": {"tracing": "true"},
    "trackRegions": {"trackRegions": "eu-west-1"},
    "notifyEmails": {"notifyEmails": "ana@example.com,ben@example.org"},
    "failureEmails": {"failureEmails": "oncall@example.com"},
    "slack": {"slackWorkspaceId": "T0123ABCD", "slackChannelId": "C0456EFGH"},
    "teams": {
        "teamsTeamId": "0a1b2c3d-4e5f-1a2b-3c4d-0a1b2c3d4e5f",
        "teamsTenantId": "1a2b3c4d-5e6f-1a2b-3c4d-1a2b3c4d5e6f",
        "teamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
    },
    "powertoolsLayerArn": {"powertoolsLayerArn": "arn:aws:lambda:us-east-1:111122223333:layer:Powertools:7"},
    "autoTrack": {"autoTrack": "false"},
    "eventSource": {"eventSource": "acme.personalize-notifier"},
    "stuckAfterMinutes": {"stuckAfterMinutes": "0"},
    "personalizeMaxRps": {"personalizeMaxRps": "5"},
    "discover": {"discover": "all"},
    # The lifecycle of models, all in the poll's environment: the quality verdict's metric and threshold, and a
    # declared cadence (which adds the poll's right to delete expectations no longer declared).
    "modelLifecycle": {
        "regressionsOnNewData": "true",
        "qualityMetric": "precision_at_25",
        "qualityThresholdPercent": "10",
        "expectations": "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail=26h",
    },
    # What campaigns and recommenders serve: off (no GetMetricData, no Scan on the poll's role) with a rule of its
    # own, which the poll's environment still carries.
    "usage": {"usageMonitoring": "false", "idleHours": "72", "underusedPercent": "10", "idleRepeatHours": "24"},
    # Every incoming webhook: three from Secrets Manager (which the deploy in moto creates first, as a user does),
    # two written in the template (synth warns), and a failure-only one besides PagerDuty's default.
    "webhooks": {
        "slackWebhookUrl": "secretsmanager:notifier/slack-webhook",
        "slackWebhookOnlyFailures": "true",
        "teamsWebhookUrl": "https://acme.westeurope.logic.azure.com/workflows/4f2a/triggers/manual/paths/invoke",
        "discordWebhookUrl": "secretsmanager:notifier/discord-webhook",
        "googleChatWebhookUrl": "https://chat.googleapis.com/v1/spaces/AAAA1234/messages?key=k1&token=t1",
        "pagerDutyRoutingKey": "secretsmanager:notifier/pagerduty-routing-key",
    },
    # The other failure-only choices, each unlike its default (PagerDuty's is failures only), with values written
    # in the template.
    "webhooksOnlyFailures": {
        "teamsWebhookUrl": "https://acme.westeurope.logic.azure.com/workflows/77aa/triggers/manual/paths/invoke",
        "discordWebhookUrl": "https://discord.com/api/webhooks/222/written-in-the-template",
        "googleChatWebhookUrl": "https://chat.googleapis.com/v1/spaces/BBBB/messages?key=k3&token=t3",
        "pagerDutyRoutingKey": "WR1TTEN1NTHETEMPLATE0123456789AB",
        "teamsWebhookOnlyFailures": "true",
        "discordWebhookOnlyFailures": "true",
        "googleChatWebhookOnlyFailures": "true",
        "pagerDutyOnlyFailures": "false",
    },
    # organizationId's own options work with it only: one entry (the demo deploys organizationId alone).
    "organization": {
        "organizationId": "o-a1b2c3d4e5",
        "memberExternalId": "notifier-7f3a",
        "memberOus": "ou-ab12-cdefgh34,r-ab12",
        "memberRegions": "us-east-1,eu-west-1",
        "memberStackSetCallAs": "DELEGATED_ADMIN",
    },
}
# trackRegions forwards to the auto-track rule, so synth refuses it with autoTrack off: "all of them together"
# is two configurations, each without one of the two.
EXCLUSIVE = ("autoTrack", "trackRegions")


def _together(*left_out: str) -> dict[str, str]:
    return {key: value for name, values in EXAMPLES.items() if name not in left_out for key, value in values.items()}


CONFIGURATIONS: dict[str, dict[str, str]] = {
    "defaults": {},
    **EXAMPLES,
    "every-option": _together("autoTrack"),
    "every-option-but-auto-track": _together("trackRegions"),
}


def options_the_app_reads() -> set[str]:
    """The context keys DeploySettings asks for, recorded as it reads an empty context, and the stack's name."""
    asked: set[str] = set()

    def get(key: str) -> None:
        asked.add(key)

    DeploySettings.from_context(get)
    return asked | {"stackName"}


_SYNTHESIZED: dict[str, Path] = {}


def synthesized(name: str, outdir: Path) -> Path:
    """The cloud assembly of one configuration, synthesized once per test session (for moto: no bootstrap rule),
    for this account and region (trackRegions needs a known region)."""
    if name not in _SYNTHESIZED:
        from notifier_local.server import environment
        from tests.infra.conftest import ACCOUNT, REGION, synth_for_moto

        with environment({"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": REGION}):
            _SYNTHESIZED[name] = synth_for_moto(outdir / name, CONFIGURATIONS[name])
    return _SYNTHESIZED[name]
