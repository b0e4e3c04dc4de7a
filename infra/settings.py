"""Deploy-time options from CDK context, validated before anything is built: a bad value stops synth by name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from notifier.cadence import NotExpectable, parse_duration, target_of
from notifier.discovery import PARENT_KINDS, is_parent_arn
from notifier.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT, METRIC_NAME
from notifier.regions import region_problem

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_SLACK_WORKSPACE = re.compile(r"^[0-9A-Z]{1,255}$")
# The schema takes [A-Za-z0-9]{1,255}, which a channel *name* such as "general" passes; Slack's channel IDs are
# upper case (the chat applications API reference's example, ABCBBLZZZ; AWS DevOps Agent's ^[CGD][A-Z0-9]+$).
_SLACK_CHANNEL = re.compile(r"^[A-Z0-9]{1,255}$")
_EVENT_SOURCE = re.compile(r"^[A-Za-z0-9._-]{1,256}$")
# Microsoft Teams IDs, as the CloudFormation resource schema of AWS::Chatbot::MicrosoftTeamsChannelConfiguration
# gives them (TeamId, TeamsTenantId: a GUID; TeamsChannelId: URL-encoded, like 19%3a...%40thread.tacv2).
_GUID = re.compile(r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
_TEAMS_CHANNEL = re.compile(r"^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")  # CloudFormation's rule for stack names
_OPTION_SHAPE = re.compile(r"^[a-z][A-Za-z0-9]*$")  # how this app's options look (CDK's own keys have : / @ -)
_LAYER_ARN = re.compile(r"^arn:[a-z\d-]+:lambda:[a-z\d-]+:\d{12}:layer:[\w-]+:\d+$")
# botocore's models: organizations OrganizationId; cloudformation DeploymentTargets OrganizationalUnitIds (an OU
# or the root); sts AssumeRole ExternalId (2-1224 of [\w+=,.@:/-]); CreateStackSet CallAs.
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_OU_OR_ROOT = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
STACK_SET_CALLERS = ("SELF", "DELEGATED_ADMIN")

# The Lambda's runtime and architecture, and the Powertools for AWS Lambda (Python) release it runs: the one
# requirements-dev.txt pins and the tests run (a test holds them equal). A layer *number* differs per runtime,
# architecture, region and partition, so the layer ARN is resolved at deploy time from the public SSM
# parameter Powertools publishes for each release, /aws/service/powertools/python/{arm64|x86_64}/{python3.x}/
# {version} (Powertools docs, "Install", "Using SSM Parameter Store"; written by its update_ssm workflow).
# -c powertoolsLayerArn=... overrides it, e.g. in a partition where that parameter is not published.
LAMBDA_RUNTIME = "python3.14"
LAMBDA_ARCHITECTURE = "arm64"
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_PARAMETER = (
    f"/aws/service/powertools/python/{LAMBDA_ARCHITECTURE}/{LAMBDA_RUNTIME}/{POWERTOOLS_VERSION}"
)


class ContextError(ValueError):
    """A CDK context value that cannot be deployed; the message names the key and the value."""


# Every context option: what it does and its default, as `make docs` writes the README's table (a test holds the
# keys equal to those the app reads, so an option cannot be added without its line).
CONTEXT_OPTIONS: dict[str, tuple[str, str]] = {
    "notifyEmails": ("addresses that get every notification (comma-separated in `-c`)", "none"),
    "failureEmails": (
        "addresses that get only failures, not-found and rejected jobs, unreachable accounts, regressed models, and "
        "overdue cadences and their recovery (an SNS filter policy on `outcome` and `quality`)",
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
    "eventSource": ("the `source` of the EventBridge events (not `aws.`...)", "`personalize-job-notifier`"),
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


@dataclass(frozen=True)
class DeploySettings:
    poll_minutes: int = 1
    recheck_seconds: int = 0  # fast mode: re-check every N seconds within an invocation while jobs run
    tracing: bool = False
    track_regions: tuple[str, ...] = ()  # other regions whose Create... calls are forwarded here
    notify_emails: tuple[str, ...] = ()
    failure_emails: tuple[str, ...] = ()
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None
    teams_team_id: str | None = None
    teams_channel_id: str | None = None
    teams_tenant_id: str | None = None
    powertools_layer_arn: str | None = None
    auto_track: bool = True
    event_source: str = "personalize-job-notifier"
    stuck_after_minutes: int = 360
    personalize_max_rps: float | None = None
    discover: str | None = None  # "all", or comma-separated parent ARNs (datasets, solutions, ...)
    solution_check_minutes: int = 60  # how often a watched solution's automatic training is looked at
    organization_id: str | None = None  # track and read the jobs of the organization's member accounts
    member_external_id: str | None = None
    member_ous: tuple[str, ...] = ()  # a StackSet deploys the member stack there
    member_regions: tuple[str, ...] = ()  # the StackSet's regions (empty: this stack's and trackRegions)
    member_stack_set_call_as: str = "SELF"
    quality_metric: str = DEFAULT_KEY_METRIC
    quality_threshold_percent: float = DEFAULT_THRESHOLD_PERCENT
    expectations: tuple[tuple[str, int], ...] = ()  # (ARN, period in seconds): declared cadences

    @property
    def slack(self) -> bool:
        return self.slack_workspace_id is not None

    @property
    def recipients(self) -> bool:
        """Whether anyone is told anything: an email address or a chat channel."""
        return bool(self.notify_emails or self.failure_emails or self.slack or self.teams)

    @property
    def teams(self) -> bool:
        return self.teams_team_id is not None

    @property
    def organization(self) -> bool:
        return self.organization_id is not None

    @classmethod
    def from_app_context(cls, context: Mapping[str, object]) -> DeploySettings:
        """Settings from all of an app's context; a key that looks like an option of ours but is not one (a typo
        such as notifyEmail) stops synth, naming the closest option."""
        asked: set[str] = {"stackName"}

        def get(key: str) -> object:
            asked.add(key)
            return context.get(key)

        settings = cls.from_context(get)
        for key in sorted(context):
            close = difflib.get_close_matches(key, sorted(asked), n=1, cutoff=0.75)
            if key not in asked and (_OPTION_SHAPE.match(key) or close):
                hint = f" (did you mean {close[0]}?)" if close else f"; the options are {', '.join(sorted(asked))}"
                raise ContextError(f"unknown context key {key!r}{hint}")
        return settings

    @classmethod
    def from_context(cls, get: Callable[[str], object]) -> DeploySettings:
        workspace, channel = _optional(get, "slackWorkspaceId"), _optional(get, "slackChannelId")
        if (workspace is None) != (channel is None):
            raise ContextError("slackWorkspaceId and slackChannelId go together: give both or neither")
        if workspace is not None and not _SLACK_WORKSPACE.match(workspace):
            raise ContextError(f"slackWorkspaceId {workspace!r} is not a Slack workspace ID (like T0123ABCD)")
        if channel is not None and not _SLACK_CHANNEL.match(channel):
            raise ContextError(
                f"slackChannelId {channel!r} is not a Slack channel ID (like C0123ABCD): a channel's ID is the last "
                "part of the link Slack's Copy link gives, not its name"
            )
        layer = _optional(get, "powertoolsLayerArn")
        if layer is not None and not _LAYER_ARN.match(layer):
            raise ContextError(f"powertoolsLayerArn {layer!r} is not a Lambda layer version ARN")
        return cls(
            auto_track=_flag(get("autoTrack"), "autoTrack", default=True),
            event_source=_event_source(get("eventSource")),
            stuck_after_minutes=_whole(
                get("stuckAfterMinutes"), "stuckAfterMinutes", 360, (0, 100_000), unit=" of minutes"
            ),
            personalize_max_rps=_rate(get("personalizeMaxRps")),
            discover=_discover(get("discover")),
            poll_minutes=_whole(get("pollMinutes"), "pollMinutes", 1, (1, 1440), unit=" of minutes"),
            recheck_seconds=_whole(get("recheckSeconds"), "recheckSeconds", 0, (0, 30), unit=" of seconds"),
            # The Lambda's own bound (notifier.config): a week at most; 0 looks at every poll.
            solution_check_minutes=_whole(
                get("solutionCheckMinutes"), "solutionCheckMinutes", 60, (0, 10_080), unit=" of minutes"
            ),
            tracing=_flag(get("tracing"), "tracing", default=False),
            quality_metric=_quality_metric(get("qualityMetric")),
            quality_threshold_percent=_percent(get("qualityThresholdPercent"), "qualityThresholdPercent"),
            expectations=_expectations(get("expectations")),
            track_regions=_regions(get("trackRegions")),
            notify_emails=_emails(get, "notifyEmails"),
            failure_emails=_emails(get, "failureEmails"),
            slack_workspace_id=workspace,
            slack_channel_id=channel,
            **_teams(get),
            powertools_layer_arn=layer,
            **_organization(get),
        )


def _teams(get: Callable[[str], object]) -> dict[str, str | None]:
    keys = ("teamsTeamId", "teamsChannelId", "teamsTenantId")
    values = dict(zip(keys, (_optional(get, key) for key in keys), strict=True))
    given = [key for key, value in values.items() if value is not None]
    if given and len(given) != len(keys):
        missing = ", ".join(key for key in keys if values[key] is None)
        raise ContextError(f"teamsTeamId, teamsChannelId and teamsTenantId go together: {missing} missing")
    for key in ("teamsTeamId", "teamsTenantId"):
        if values[key] is not None and not _GUID.match(values[key]):
            raise ContextError(f"{key} {values[key]!r} is not a Microsoft Teams ID (a GUID like 0a1b2c3d-4e5f-...)")
    channel = values["teamsChannelId"]
    if channel is not None and "%" not in channel:
        # As Teams shows it (19:...@thread.tacv2): CloudFormation takes it URL-encoded, as the channel's link has it.
        channel = quote(channel, safe="-_=+/.,").replace("%3A", "%3a")
    if channel is not None and not _TEAMS_CHANNEL.match(channel):
        raise ContextError(
            f"teamsChannelId {values['teamsChannelId']!r} is not a Teams channel ID (like 19:...@thread.tacv2, or "
            "19%3a...%40thread.tacv2 as the channel's link has it)"
        )
    return {
        "teams_team_id": values["teamsTeamId"],
        "teams_channel_id": channel,
        "teams_tenant_id": values["teamsTenantId"],
    }


def _organization(get: Callable[[str], object]) -> dict[str, object]:
    organization = _optional(get, "organizationId")
    external_id = _optional(get, "memberExternalId")
    ous = _listed(get("memberOus"))
    regions = _listed(get("memberRegions"))
    call_as = _optional(get, "memberStackSetCallAs")
    if organization is None:
        given = [
            key
            for key, value in (
                ("memberExternalId", external_id),
                ("memberOus", ous),
                ("memberRegions", regions),
                ("memberStackSetCallAs", call_as),
            )
            if value
        ]
        if given:
            raise ContextError(f"{given[0]} is an option of organizationId, which is not given")
        return {}
    if not _ORGANIZATION_ID.match(organization):
        raise ContextError(f"organizationId {organization!r} is not an AWS Organizations ID (like o-a1b2c3d4e5)")
    if external_id is not None and not _EXTERNAL_ID.match(external_id):
        raise ContextError(f"memberExternalId {external_id!r} is not an external ID (2 to 1224 of [\\w+=,.@:/-])")
    for ou in ous:
        if not _OU_OR_ROOT.match(ou):
            raise ContextError(f"memberOus: {ou!r} is not an organizational unit ID (ou-...) or a root ID (r-...)")
    if len(set(ous)) != len(ous):
        raise ContextError("memberOus: an OU is listed twice")
    if (regions or call_as) and not ous:
        raise ContextError(
            f"{'memberRegions' if regions else 'memberStackSetCallAs'} is an option of memberOus, which is not given"
        )
    for region in regions:
        if problem := region_problem(region, "personalize"):
            raise ContextError(f"memberRegions: {region!r} {problem}")
    if len(set(regions)) != len(regions):
        raise ContextError("memberRegions: a region is listed twice")
    call_as = call_as.upper() if call_as else None
    if call_as is not None and call_as not in STACK_SET_CALLERS:
        raise ContextError(f"memberStackSetCallAs {call_as!r} must be one of {', '.join(STACK_SET_CALLERS)}")
    return {
        "organization_id": organization,
        "member_external_id": external_id,
        "member_ous": ous,
        "member_regions": regions,
        "member_stack_set_call_as": call_as or "SELF",
    }


def _listed(value: object) -> tuple[str, ...]:
    """A list option, given as a list (cdk.json) or comma-separated (-c key=a,b): its items, trimmed."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _regions(value: object) -> tuple[str, ...]:
    regions = _listed(value)
    for region in regions:
        # Where Personalize runs: a misspelt region would deploy a forwarder stack for a region that is none.
        if problem := region_problem(region, "personalize"):
            raise ContextError(f"trackRegions: {region!r} {problem}")
    if len(set(regions)) != len(regions):
        raise ContextError("trackRegions: a region is listed twice")
    return regions


def stack_name(value: object, default: str) -> str:
    if value is None or str(value).strip() == "":
        return default
    name = str(value).strip()
    if not _STACK_NAME.match(name):
        raise ContextError(
            f"stackName {value!r} must start with a letter and hold only letters, digits and -, 128 at most"
        )
    return name


def _optional(get: Callable[[str], object], key: str) -> str | None:
    value = get(key)
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip()


def _flag(value: object, key: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ContextError(f"{key} {value!r} must be true or false")
    return text == "true"


def _discover(value: object) -> str | None:
    if value is None or str(value).strip() in ("", "false", "none"):
        return None
    text = str(value).strip()
    if text == "all":
        return text
    arns = [arn.strip() for arn in text.split(",") if arn.strip()]
    for arn in arns:
        if not is_parent_arn(arn):
            raise ContextError(f"discover: {arn!r} is not the ARN of {PARENT_KINDS} (or 'all')")
    return ",".join(arns)


def _event_source(value: object) -> str:
    if value is None or str(value).strip() == "":
        return "personalize-job-notifier"
    text = str(value).strip()
    if text.startswith("aws.") or not _EVENT_SOURCE.match(text):
        raise ContextError(f"eventSource {value!r} must be 1-256 of [A-Za-z0-9._-] and not start with 'aws.'")
    return text


def _expectations(value: object) -> tuple[tuple[str, int], ...]:
    """A map of ARN to duration (cdk.json, the construct), or `ARN=DURATION,...` (-c); each checked as the CLI
    checks `notifier expect`."""
    if value is None or value == "":
        return ()
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = [tuple(part.strip().rsplit("=", 1)) for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        pairs = [tuple(pair) for pair in value]
    else:
        raise ContextError(f"expectations {value!r} must be a map of ARN to duration, or ARN=DURATION,...")
    found: dict[str, int] = {}
    for pair in pairs:
        if len(pair) != 2:
            raise ContextError(f"expectations: {'='.join(map(str, pair))!r} is not ARN=DURATION (like ARN=26h)")
        arn, every = str(pair[0]).strip(), pair[1]
        try:
            target_of(arn)
            # A number is seconds, as `notifier expect` takes it; checked against the same bounds.
            seconds = int(parse_duration(str(every)).total_seconds())
        except NotExpectable as exc:
            raise ContextError(f"expectations: {exc}") from None
        if arn in found:
            raise ContextError(f"expectations: {arn} is listed twice")
        found[arn] = seconds
    return tuple(found.items())


def _quality_metric(value: object) -> str:
    if value is None or str(value).strip() == "":
        return DEFAULT_KEY_METRIC
    text = str(value).strip()
    if not METRIC_NAME.fullmatch(text):
        raise ContextError(
            f"qualityMetric {value!r} is not a metric name as GetSolutionMetrics returns them "
            f"(like {DEFAULT_KEY_METRIC})"
        )
    return text


def _percent(value: object, key: str) -> float:
    if value is None or str(value).strip() == "":
        return DEFAULT_THRESHOLD_PERCENT
    try:
        percent = float(str(value).strip().removesuffix("%"))
    except ValueError:
        percent = -1.0
    if not 0 <= percent <= 100:
        raise ContextError(f"{key} {value!r} must be a percentage from 0 to 100")
    return percent


def _rate(value: object) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        rate = float(str(value))
    except ValueError:
        rate = -1.0
    if not 1 <= rate <= 1000:  # the Lambda's own bound (notifier.config): slower pacing outlasts its budget
        raise ContextError(f"personalizeMaxRps {value!r} must be a number of requests per second from 1 to 1000")
    return rate


def _whole(value: object, key: str, default: int, bounds: tuple[int, int], unit: str = "") -> int:
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isdigit() or not bounds[0] <= int(text) <= bounds[1]:
        raise ContextError(f"{key} {value!r} must be a whole number{unit} from {bounds[0]} to {bounds[1]}")
    return int(text)


def _emails(get: Callable[[str], object], key: str) -> tuple[str, ...]:
    emails = _listed(get(key))
    for email in emails:
        if not _EMAIL.match(email):
            raise ContextError(f"{key}: {email!r} is not an email address")
    if len(set(emails)) != len(emails):
        raise ContextError(f"{key}: an address is listed twice")
    return emails
