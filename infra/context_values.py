"""Each context value read and checked before anything is built: a bad one is a ContextError that names the key
and the value (and, where one is near, the value meant)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from notifier.adapters.regions import region_problem
from notifier.domain.arns import PARENT_KINDS, is_parent_arn
from notifier.domain.cadence import NotExpectable, parse_duration, target_of
from notifier.domain.quality import DEFAULT_KEY_METRIC, DEFAULT_THRESHOLD_PERCENT, METRIC_NAME

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
SLACK_WORKSPACE = re.compile(r"^[0-9A-Z]{1,255}$")

# The schema takes [A-Za-z0-9]{1,255}, which a channel *name* such as "general" passes; Slack's channel IDs are
# upper case (the chat applications API reference's example, ABCBBLZZZ; AWS DevOps Agent's ^[CGD][A-Z0-9]+$).
SLACK_CHANNEL = re.compile(r"^[A-Z0-9]{1,255}$")
_EVENT_SOURCE = re.compile(r"^[A-Za-z0-9._-]{1,256}$")

# Microsoft Teams IDs, as the CloudFormation resource schema of AWS::Chatbot::MicrosoftTeamsChannelConfiguration
# gives them (TeamId, TeamsTenantId: a GUID; TeamsChannelId: URL-encoded, like 19%3a...%40thread.tacv2).
_GUID = re.compile(r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
_TEAMS_CHANNEL = re.compile(r"^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")  # CloudFormation's rule for stack names
OPTION_SHAPE = re.compile(r"^[a-z][A-Za-z0-9]*$")  # how this app's options look (CDK's own keys have : / @ -)
LAYER_ARN = re.compile(r"^arn:[a-z\d-]+:lambda:[a-z\d-]+:\d{12}:layer:[\w-]+:\d+$")

# botocore's models: organizations OrganizationId; cloudformation DeploymentTargets OrganizationalUnitIds (an OU
# or the root); sts AssumeRole ExternalId (2-1224 of [\w+=,.@:/-]); CreateStackSet CallAs.
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_OU_OR_ROOT = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
STACK_SET_CALLERS = ("SELF", "DELEGATED_ADMIN")


class ContextError(ValueError):
    """A CDK context value that cannot be deployed; the message names the key and the value."""


def teams_options(get: Callable[[str], object]) -> dict[str, str | None]:
    keys = ("teamsTeamId", "teamsChannelId", "teamsTenantId")
    values = dict(zip(keys, (optional_text(get, key) for key in keys), strict=True))
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


def organization_options(get: Callable[[str], object]) -> dict[str, object]:
    organization = optional_text(get, "organizationId")
    external_id = optional_text(get, "memberExternalId")
    ous = listed(get("memberOus"))
    regions = listed(get("memberRegions"))
    call_as = optional_text(get, "memberStackSetCallAs")
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


def listed(value: object) -> tuple[str, ...]:
    """A list option, given as a list (cdk.json) or comma-separated (-c key=a,b): its items, trimmed."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def track_regions(value: object) -> tuple[str, ...]:
    regions = listed(value)
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


def optional_text(get: Callable[[str], object], key: str) -> str | None:
    value = get(key)
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip()


def flag(value: object, key: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ContextError(f"{key} {value!r} must be true or false")
    return text == "true"


def discover_value(value: object) -> str | None:
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


DEFAULT_EVENT_SOURCE = "personalize-job-notifier"


def event_source(value: object) -> str:
    if value is None or str(value).strip() == "":
        return DEFAULT_EVENT_SOURCE
    text = str(value).strip()
    if text.startswith("aws.") or not _EVENT_SOURCE.match(text):
        raise ContextError(f"eventSource {value!r} must be 1-256 of [A-Za-z0-9._-] and not start with 'aws.'")
    return text


def expectations(value: object) -> tuple[tuple[str, int], ...]:
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


def quality_metric(value: object) -> str:
    if value is None or str(value).strip() == "":
        return DEFAULT_KEY_METRIC
    text = str(value).strip()
    if not METRIC_NAME.fullmatch(text):
        raise ContextError(
            f"qualityMetric {value!r} is not a metric name as GetSolutionMetrics returns them "
            f"(like {DEFAULT_KEY_METRIC})"
        )
    return text


def percentage(value: object, key: str, default: float = DEFAULT_THRESHOLD_PERCENT) -> float:
    if value is None or str(value).strip() == "":
        return default
    try:
        percent = float(str(value).strip().removesuffix("%"))
    except ValueError:
        percent = -1.0
    if not 0 <= percent <= 100:
        raise ContextError(f"{key} {value!r} must be a percentage from 0 to 100")
    return percent


def max_rate(value: object) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        rate = float(str(value))
    except ValueError:
        rate = -1.0
    if not 1 <= rate <= 1000:  # the Lambda's own bound (notifier.app.settings): slower pacing outlasts its budget
        raise ContextError(f"personalizeMaxRps {value!r} must be a number of requests per second from 1 to 1000")
    return rate


def whole_number(value: object, key: str, default: int, bounds: tuple[int, int], unit: str = "") -> int:
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isdigit() or not bounds[0] <= int(text) <= bounds[1]:
        raise ContextError(f"{key} {value!r} must be a whole number{unit} from {bounds[0]} to {bounds[1]}")
    return int(text)


def email_addresses(get: Callable[[str], object], key: str) -> tuple[str, ...]:
    emails = listed(get(key))
    for email in emails:
        if not _EMAIL.match(email):
            raise ContextError(f"{key}: {email!r} is not an email address")
    if len(set(emails)) != len(emails):
        raise ContextError(f"{key}: an address is listed twice")
    return emails


# Incoming webhooks, by the option that gives each (a URL, or PagerDuty's routing key) and its failure-only
# choice; the names are those notifier.rendering.webhooks renders for.
WEBHOOK_OPTIONS = {
    "slack": ("slackWebhookUrl", "slackWebhookOnlyFailures"),
    "teams": ("teamsWebhookUrl", "teamsWebhookOnlyFailures"),
    "discord": ("discordWebhookUrl", "discordWebhookOnlyFailures"),
    "googleChat": ("googleChatWebhookUrl", "googleChatWebhookOnlyFailures"),
    "pagerDuty": ("pagerDutyRoutingKey", "pagerDutyOnlyFailures"),
}
# An on-call page for a success is noise: PagerDuty gets what failure-only email gets unless told otherwise.
ONLY_FAILURES_BY_DEFAULT = {"pagerDuty"}
SECRET_PREFIX = "secretsmanager:"
# botocore's models: secretsmanager CreateSecret Name (1-512 of ASCII letters, digits and /_+=.@-: no colon, so
# `secretsmanager:NAME:VERSION_ID` reads one way); events
# CreateApiDestination InvocationEndpoint (at most 2048, this pattern).
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_SECRET_VERSION = re.compile(r"^[A-Za-z0-9-]{32,64}$")  # GetSecretValue VersionId: 32 to 64 (a UUID)
_INVOCATION_ENDPOINT = re.compile(r"^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@\x26=+$,A-Za-z0-9])+)([).!';/?:,])?$")
# PagerDuty Events API v2: "routing_key: The 32 character Integration Key for an integration on a service".
PAGERDUTY_ROUTING_KEY_CHARS = 32


def webhook_options(get: Callable[[str], object]) -> dict[str, object]:
    """Each webhook's value (`secretsmanager:NAME`, or the URL or routing key itself) and its failure-only flag,
    as DeploySettings' fields. A URL or key is a credential: an error names the option and what is wrong with
    the value, never the value."""
    found: dict[str, object] = {}
    for service, (key, failures_key) in WEBHOOK_OPTIONS.items():
        value = optional_text(get, key)
        if value is not None:
            _check_webhook(service, key, value)
        found[snake_case(key)] = value
        by_default = service in ONLY_FAILURES_BY_DEFAULT
        found[snake_case(failures_key)] = flag(get(failures_key), failures_key, default=by_default)
    return found


def _check_webhook(service: str, key: str, value: str) -> None:
    if value.startswith(SECRET_PREFIX):
        name, _, version = value.removeprefix(SECRET_PREFIX).partition(":")
        if "://" in value.removeprefix(SECRET_PREFIX):
            raise ContextError(
                f"{key}: secretsmanager: takes the name of a secret that holds the URL, not the URL itself (store it "
                "with aws secretsmanager create-secret)"
            )
        if version and not _SECRET_VERSION.match(version):
            raise ContextError(
                f"{key}: after the secret's name, a version ID is 32 to 64 characters (this one has {len(version)}): "
                "the VersionId put-secret-value printed"
            )
        if not _SECRET_NAME.match(name):
            wrong = sorted({char for char in name if not _SECRET_NAME.match(char)})
            raise ContextError(
                f"{key}: a Secrets Manager secret name is 1 to 512 of A-Z a-z 0-9 / _ + = . @ - (this one has "
                f"{len(name)} characters{', with ' + repr(''.join(wrong)) if wrong else ''})"
            )
        return
    if service == "pagerDuty":
        if len(value) != PAGERDUTY_ROUTING_KEY_CHARS or not value.isalnum():
            raise ContextError(
                f"{key}: a PagerDuty routing key is {PAGERDUTY_ROUTING_KEY_CHARS} letters and digits (this one has "
                f"{len(value)} characters); or give secretsmanager:NAME"
            )
        return
    scheme, _, rest = value.partition("://")
    host = rest.split("/", 1)[0]
    if scheme != "https" or not host:
        shown = f"{scheme}://{host}/..." if rest else f"{value[:8]}..."
        raise ContextError(f"{key} {shown!r} is not an https URL (a webhook URL starts with https://)")
    if len(value) > 2048 or not _INVOCATION_ENDPOINT.match(value):
        raise ContextError(
            f"{key} (https://{host}/...) is not a URL EventBridge takes: at most 2048 characters, no spaces or "
            "quotes (percent-encode them)"
        )


def snake_case(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
