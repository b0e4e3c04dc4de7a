"""Every context option of the app and the construct: what it does and its default, as `make docs` writes the
option tables of docs/deploy.md and docs/construct.md (a test holds the keys equal to those DeploySettings reads,
so an option cannot be added without its line)."""

from __future__ import annotations

from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT
from notifier.domain.usage import DEFAULT_IDLE_HOURS, DEFAULT_REPEAT_HOURS, DEFAULT_UNDERUSED_PERCENT

from .context_values import DEFAULT_EVENT_SOURCE

CONTEXT_OPTIONS: dict[str, tuple[str, str]] = {
    "notifyEmails": ("addresses that get every notification (comma-separated in `-c`)", "none"),
    "failureEmails": (
        "addresses that get only failures, not-found and rejected jobs, unreachable accounts, regressed models, "
        "overdue cadences, idle campaigns and recommenders, and the recovery of either (an SNS filter policy on "
        "`outcome` and `quality`)",
        "none",
    ),
    "slackWorkspaceId": ("the Slack workspace (Amazon Q Developer in chat applications) of `slackChannelId`", "none"),
    "slackChannelId": ("a Slack channel subscribed to the topic, by its ID (`C…`); give both", "none"),
    "teamsTeamId": ("a Microsoft Teams team (a GUID) of `teamsChannelId`", "none"),
    "teamsChannelId": (
        "a Teams channel subscribed the same way, as Teams shows it (`19:…@thread.tacv2`) or URL-encoded",
        "none",
    ),
    "teamsTenantId": ("the Teams tenant (a GUID); the three Teams options go together", "none"),
    "slackWebhookUrl": (
        "a Slack incoming webhook, as `secretsmanager:NAME` (the secret holds the URL) or the URL (synth warns); "
        "an EventBridge API destination posts each notification to it",
        "none",
    ),
    "teamsWebhookUrl": (
        "a Microsoft Teams Workflows webhook (*Post to a channel when a webhook request is received*), the same way",
        "none",
    ),
    "discordWebhookUrl": ("a Discord channel webhook, the same way", "none"),
    "googleChatWebhookUrl": ("a Google Chat space webhook, the same way", "none"),
    "pagerDutyRoutingKey": (
        "a PagerDuty Events API v2 integration key, as `secretsmanager:NAME` or the key: failures trigger incidents, "
        "their ends resolve them",
        "none",
    ),
    "slackWebhookOnlyFailures": ("the Slack webhook gets only what `failureEmails` get", "`false`"),
    "teamsWebhookOnlyFailures": ("the Teams webhook gets only what `failureEmails` get", "`false`"),
    "discordWebhookOnlyFailures": ("the Discord webhook gets only what `failureEmails` get", "`false`"),
    "googleChatWebhookOnlyFailures": ("the Google Chat webhook gets only what `failureEmails` get", "`false`"),
    "pagerDutyOnlyFailures": (
        "PagerDuty gets only what `failureEmails` get (`false`: the rest too, as `info` events)",
        "`true`",
    ),
    "pollMinutes": ("how often the poll runs, 1 to 1440", "1"),
    "recheckSeconds": ("fast mode: while jobs run, each invocation re-checks every N seconds (1 to 30; 0: off)", "0"),
    "solutionCheckMinutes": (
        "how often each watched solution's automatically trained versions are listed (0 to 10080; 0: every poll)",
        "60",
    ),
    "qualityMetric": (
        "the offline metric that decides whether a new solution version `improved` or `regressed` (a "
        "GetSolutionMetrics name)",
        f"`{DEFAULT_KEY_METRIC}` (NDCG@25)",
    ),
    "qualityThresholdPercent": (
        "a change of that metric smaller than this percentage of the previous version's is `unchanged` (0 to 100)",
        f"{DEFAULT_THRESHOLD_PERCENT:g}",
    ),
    "expectations": (
        "expected cadences, `ARN=DURATION` (comma-separated in `-c`, a map in cdk.json): a dataset group or dataset "
        "imported into, a solution trained, a campaign serving a version no older than that (`26h`, `8d`); "
        "`overdue` when one is not met",
        "none (`notifier expect` sets them too)",
    ),
    "regressionsOnNewData": (
        "`failureEmails` also get a regressed model trained on new data (an import between it and the version "
        "before); by default only a regression on the same data reaches them",
        "`false`",
    ),
    "usageMonitoring": (
        "read, once an hour, the requests each ACTIVE campaign and recommender answered (CloudWatch GetMetricData), "
        "and tell the idle and underused ones",
        "`true`",
    ),
    "idleHours": (
        "the window usage is judged over: not one request in it is `idle` (1 to 2160)",
        f"{DEFAULT_IDLE_HOURS}",
    ),
    "underusedPercent": (
        "a busiest hour under this percentage of the provisioned minimum, the whole window, is `underused` (0 to 100; "
        "0: never)",
        f"{DEFAULT_UNDERUSED_PERCENT:g}",
    ),
    "idleRepeatHours": (
        "an idle or underused campaign or recommender is told again after this long while it stays so (1 to 8784)",
        f"{DEFAULT_REPEAT_HOURS}",
    ),
    "tracing": ("X-Ray active tracing of the Lambdas (about $0.22 a month more at one poll a minute)", "`false`"),
    "powertoolsLayerArn": (
        "a Powertools for AWS Lambda (Python) v3 layer version ARN to use instead",
        "resolved at deploy time (below)",
    ),
    "autoTrack": ("track jobs as CloudTrail records their creation (needs a trail)", "`true`"),
    "trackRegions": (
        "other regions whose `Create…` calls are forwarded here and tracked (a small stack each; deploy with `--all`)",
        "none",
    ),
    "discover": (
        "`all`, or ARNs of datasets, dataset groups, solutions or solution versions: each poll also tracks the "
        "running jobs listed under them",
        "off",
    ),
    "eventSource": ("the `source` of the EventBridge events (not `aws.`...)", f"`{DEFAULT_EVENT_SOURCE}`"),
    "stuckAfterMinutes": ("one `stuck` notification for a job running longer (0: never)", "360"),
    "personalizeMaxRps": (
        "pace Personalize calls under this many per second (set it just under your quota)",
        "off: adaptive retries only",
    ),
    "organizationId": (
        "your AWS Organization (`o-…`): track and read the jobs of every member account that deploys the "
        "`…-Member` stack",
        "off: this account only",
    ),
    "memberExternalId": ("an external ID the member role's trust asks for (with `organizationId`)", "none"),
    "memberOus": (
        "OUs (or the root `r-…`) whose accounts get the member stack from a service-managed StackSet that this "
        "stack creates (deploy it in the management or a delegated administrator account)",
        "none: deploy `…-Member` yourself",
    ),
    "memberRegions": ("the regions of that StackSet's member stacks", "this stack's region and `trackRegions`"),
    "memberStackSetCallAs": (
        "`SELF` in the management account, `DELEGATED_ADMIN` in a delegated administrator account",
        "`SELF`",
    ),
    "stackName": (
        "the stack's name, to run more than one (with `organizationId`, 57 characters at most and one per account: "
        "its roles' names are account-wide)",
        "`PersonalizeJobNotifier`",
    ),
}
