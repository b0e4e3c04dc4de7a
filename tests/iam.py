"""IAM policy evaluation as AWS documents it, for the checks moto never makes.

moto stores topic, queue and key policies and Lambda permissions without evaluating them, and its own
evaluator (moto.iam.access_control) treats every condition operator but StringEquals as satisfied and
ignores service principals, so a TLS-only Deny reads as denying everything and a missing Allow goes unseen.
No maintained Python library evaluates resource policies with conditions offline, so this module follows
the IAM User Guide's "Policy evaluation logic" for the elements the stack's policies use, and refuses
(raises) on any element or operator it does not know rather than guessing. tests/unit/test_iam_evaluator.py
holds it to policies that must deny.

Also here: resolving the intrinsic functions of a synthesized template, so the documents are evaluated
with the ARNs AWS would see.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

Decision = Literal["allow", "explicit-deny", "implicit-deny"]


class UnsupportedPolicy(ValueError):
    """A policy element or condition operator this evaluator does not implement: fail, never guess."""


@dataclass(frozen=True)
class Request:
    """One call as IAM sees it: who, what, on which resource, with which request context."""

    action: str
    resource: str
    principal: Mapping[str, str] = field(default_factory=dict)  # {"Service": "..."} or {"AWS": "arn:..."}
    # Condition keys, e.g. aws:SourceArn; a multivalued key (events:source of a PutEvents) as a tuple of values.
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    organization: str | None = None  # the AWS Organizations ID of the caller's account, if it is in one

    def context_value(self, key: str) -> str | tuple[str, ...] | None:
        for name, value in {**self._principal_keys(), **self.context}.items():
            if name.lower() == key.lower():  # condition key names are case-insensitive
                return value
        return None

    def _principal_keys(self) -> dict[str, str]:
        """What IAM puts in every request context of an IAM principal (IAM User Guide, "AWS global condition
        context keys": aws:PrincipalArn, aws:PrincipalAccount, and aws:PrincipalOrgID when the account is in
        an organization); a service principal has none of them."""
        arn = self.principal.get("AWS")
        if not arn:
            return {}
        keys = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": arn.split(":")[4]}
        if self.organization:
            keys["aws:PrincipalOrgID"] = self.organization
        return keys


def decide(documents: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """An explicit Deny in any statement wins; otherwise an Allow allows; otherwise the implicit deny."""
    allowed = False
    for document in documents:
        for statement in _as_list(document["Statement"]):
            if _applies(statement, request):
                if statement["Effect"] == "Deny":
                    return "explicit-deny"
                allowed = True
    return "allow" if allowed else "implicit-deny"


_KNOWN_ELEMENTS = {"Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - _KNOWN_ELEMENTS
    if unknown:
        raise UnsupportedPolicy(f"statement element(s) {sorted(unknown)} are not evaluated here")
    if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
        return False
    if "Action" in statement:
        if not any(_glob(pattern, request.action, ignore_case=True) for pattern in _as_list(statement["Action"])):
            return False
    elif any(_glob(pattern, request.action, ignore_case=True) for pattern in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(arn_like(pattern, request.resource) for pattern in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        arn_like(pattern, request.resource) for pattern in _as_list(statement["NotResource"])
    ):
        return False
    return all(
        _condition_holds(operator, key, values, request)
        for operator, tests in statement.get("Condition", {}).items()
        for key, values in tests.items()
    )


def _principal_matches(principal: Any, caller: Mapping[str, str]) -> bool:
    if principal == "*":
        return True
    for kind, names in principal.items():
        for name in _as_list(names):
            if name == "*" and kind == "AWS":
                return True
            if caller.get(kind) == name:
                return True
            # An account (or its root) as principal delegates to that account's IAM policies.
            if kind == "AWS" and caller.get("AWS", "").split(":")[4:5] == [_account_of(name)]:
                return True
    return False


def _account_of(principal: str) -> str:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    match = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", principal)
    return match.group(1) if match else "<not an account>"


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    qualifier, _, operator = operator.rpartition(":")
    actual = request.context_value(key)
    if qualifier:
        # Set operators on a multivalued key (IAM User Guide, "Multivalued context keys"): ForAllValues holds when
        # every value in the request matches (and when there is none); ForAnyValue when at least one does.
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise UnsupportedPolicy(f"condition set operator {qualifier} is not evaluated here")
        values = () if actual is None else actual if isinstance(actual, tuple) else (actual,)
        each = [_single_holds(operator, value, expected) for value in values]
        return all(each) if qualifier == "ForAllValues" else any(each)
    if operator == "Null":  # whether the key is there, however many values it has (IAM User Guide, "Null")
        return (actual is None or actual == ()) == (str(expected).lower() == "true")
    if isinstance(actual, tuple):
        raise UnsupportedPolicy(f"{key} has several values: a policy compares them with ForAllValues or ForAnyValue")
    return _single_holds(operator, actual, expected)


def _single_holds(operator: str, actual: str | None, expected: Any) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base == "Null":
        return (actual is None) == (str(expected).lower() == "true")
    negated = "Not" in base
    if actual is None:
        # A missing key never matches; a negated operator is then true (IAM User Guide, condition operators).
        return if_exists or negated
    compare = _COMPARATORS.get(base.replace("Not", ""))
    if compare is None:
        raise UnsupportedPolicy(f"condition operator {operator} is not evaluated here")
    matched = any(compare(str(value), actual) for value in _as_list(expected))
    return not matched if negated else matched


def arn_like(pattern: str, arn: str) -> bool:
    """ARN matching: each of the six colon-separated parts on its own, `*` and `?` as wildcards."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(given) == 6 and all(_glob(w, g) for w, g in zip(wanted, given, strict=True))


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


_COMPARATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _glob,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- templates ---

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"


@dataclass(frozen=True)
class Resolver:
    """Resolves a template's intrinsic functions. `physical` gives a resource's physical ID (what Ref returns
    for most types); by default the logical ID stands in for it, which keeps every ARN distinct."""

    template: Mapping[str, Any]
    physical: Callable[[str], str] = lambda logical_id: logical_id
    account: str = ACCOUNT
    region: str = REGION

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(name, argument)] = value.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attribute(logical_id, attribute)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self(part)) for part in parts)
            if name == "Fn::Select":
                index, items = argument
                return self(items)[int(index)]
            if name == "Fn::Split":
                separator, text = argument
                return str(self(text)).split(separator)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name.startswith("Fn::") or name == "Condition":
                raise UnsupportedPolicy(f"intrinsic function {name} is not resolved here")
        return {key: self(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.attribute(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "PersonalizeJobNotifier",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.template["Parameters"][name].get("Default", f"<parameter {name}>")
        resource_type = self.template["Resources"][name]["Type"]
        if resource_type in _REF_IS_ARN:
            return self.arn(name)
        return self.physical(name)

    def attribute(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "QueueUrl":
            return self.physical(logical_id)
        raise UnsupportedPolicy(f"attribute {logical_id}.{attribute} is not resolved here")

    def arn(self, logical_id: str) -> str:
        resource = self.template["Resources"][logical_id]
        name = self.physical(logical_id)
        properties = resource.get("Properties", {})
        scope = f"{PARTITION}:{{service}}:{self.region}:{self.account}"
        formats = {
            "AWS::SNS::Topic": f"arn:{scope}:{{name}}",
            "AWS::SQS::Queue": f"arn:{scope}:{{name}}",
            "AWS::Lambda::Function": f"arn:{scope}:function:{{name}}",
            "AWS::Events::Rule": f"arn:{scope}:rule/{{name}}",
            "AWS::CloudWatch::Alarm": f"arn:{scope}:alarm:{{name}}",
            "AWS::KMS::Key": f"arn:{scope}:key/{{name}}",
            "AWS::DynamoDB::Table": f"arn:{scope}:table/{{name}}",
            "AWS::Logs::LogGroup": f"arn:{scope}:log-group:{{name}}:*",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{self.account}:role/{{name}}",
            "AWS::Events::EventBus": f"arn:{scope}:event-bus/{{name}}",
            "AWS::Events::ApiDestination": f"arn:{scope}:api-destination/{{name}}",
        }
        services = {
            "AWS::SNS::Topic": "sns",
            "AWS::SQS::Queue": "sqs",
            "AWS::Lambda::Function": "lambda",
            "AWS::Events::Rule": "events",
            "AWS::Events::EventBus": "events",
            "AWS::Events::ApiDestination": "events",
            "AWS::CloudWatch::Alarm": "cloudwatch",
            "AWS::KMS::Key": "kms",
            "AWS::DynamoDB::Table": "dynamodb",
            "AWS::Logs::LogGroup": "logs",
        }
        kind = resource["Type"]
        if name.startswith("arn:"):
            return name  # moto's physical ID of a topic (and some others) is its ARN
        if kind not in formats:
            raise UnsupportedPolicy(f"the ARN of a {kind} is not resolved here")
        if kind == "AWS::CloudWatch::Alarm" and "AlarmName" in properties:
            name = self(properties["AlarmName"])
        if kind == "AWS::IAM::Role" and "RoleName" in properties:
            name = self(properties["RoleName"])
        if kind == "AWS::Events::EventBus":
            name = self(properties["Name"])
        if kind == "AWS::SQS::Queue" and name.startswith("http"):
            name = name.rsplit("/", 1)[-1]  # moto's physical ID of a queue is its URL
        return formats[kind].format(service=services.get(kind, ""), name=name)


_REF_IS_ARN = {"AWS::SNS::Topic"}


def role_policies(template: Mapping[str, Any], function_id: str) -> list[dict[str, Any]]:
    """The identity policy documents of a function's role, as the template declares them (unresolved)."""
    resources = template["Resources"]
    role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    documents = [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
    documents += [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    return documents


# --- calls recorded on the server side (moto's recorder), as IAM sees them ---


@dataclass(frozen=True)
class RecordedCall:
    service: str  # the signing name, which is also the IAM action prefix of every service called here
    operation: str
    region: str
    params: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation} in {self.region}"


def recorded_calls(recording: str) -> list[RecordedCall]:
    """Parse moto's recording (one JSON request a line): the operation from X-Amz-Target (JSON protocols) or
    the Action form field (query protocol); the service and region from the SigV4 credential scope."""
    calls = []
    for line in recording.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        headers = {name.lower(): value for name, value in entry["headers"].items()}
        scope = re.search(r"Credential=[^/]+/\d{8}/([\w-]+)/([\w-]+)/aws4_request", headers.get("authorization", ""))
        if scope is None:
            raise UnsupportedPolicy(f"an unsigned request: {entry['method']} {entry['url']}")
        region, service = scope.groups()
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode()
        if "x-amz-target" in headers:
            operation = headers["x-amz-target"].rsplit(".", 1)[-1]
            params = json.loads(body or "{}")
        else:
            # A query-protocol body: form-encoded, or (under mock_aws) the form fields as a JSON object.
            form = dict(body) if isinstance(body, dict) else {k: v[0] for k, v in parse_qs(body).items()}
            if "Action" not in form:
                raise UnsupportedPolicy(f"a request of an unknown protocol: {entry['method']} {entry['url']}")
            operation, params = form.pop("Action"), form
        calls.append(RecordedCall(service, operation, region, params))
    return calls


def request_context(call: RecordedCall) -> dict[str, tuple[str, ...]]:
    """The condition keys IAM fills from the request itself: a DynamoDB item operation's dynamodb:LeadingKeys is
    the partition key value of the item (DynamoDB developer guide, "Using IAM policy conditions for fine-grained
    access control"); this table's key is `jobArn`."""
    if call.service != "dynamodb" or call.operation not in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        return {}
    item = call.params.get("Key") or call.params.get("Item") or {}
    key = item.get("jobArn", {}).get("S") if isinstance(item, dict) else None
    return {"dynamodb:LeadingKeys": (key,)} if key else {}


def iam_requests(call: RecordedCall, account: str = ACCOUNT) -> list[tuple[str, str]]:
    """The (action, resource ARN) pairs IAM authorizes for one call. A call nobody mapped fails loudly, so a
    new AWS call in the code needs a line here and, through the test, a statement in the role."""
    action = f"{call.service}:{call.operation}"
    scope = f"arn:aws:{call.service}:{call.region}:{account}"
    if call.service == "dynamodb" and "TableName" in call.params:
        table = f"{scope}:table/{call.params['TableName']}"
        return [(action, f"{table}/index/{call.params['IndexName']}" if "IndexName" in call.params else table)]
    if call.service == "sns" and call.operation == "Publish":
        return [(action, call.params["TopicArn"])]
    if call.service == "events" and call.operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in call.params["Entries"]}
        return [(action, bus if bus.startswith("arn:") else f"{scope}:event-bus/{bus}") for bus in sorted(buses)]
    if call.service == "personalize" and (
        call.operation.startswith("Describe") or call.operation == "GetSolutionMetrics"
    ):
        [arn] = [value for key, value in call.params.items() if key.endswith("Arn")]
        return [(action, arn)]
    if call.service == "sts" and call.operation == "GetCallerIdentity":
        # "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
        return []
    if call.service == "states" and call.operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
        # No resource types (Service Authorization Reference, "Actions defined by AWS Step Functions").
        return [(action, "*")]
    if call.service == "personalize" and call.operation.startswith("List"):
        return [(action, "*")]  # Personalize's List actions take no resource (service authorization reference)
    if call.service == "monitoring" and call.operation == "GetMetricData":
        # CloudWatch's API is "monitoring" on the wire, "cloudwatch" in IAM; GetMetricData has no resource types
        # (Service Authorization Reference, "Actions defined by Amazon CloudWatch").
        return [("cloudwatch:GetMetricData", "*")]
    raise UnsupportedPolicy(f"no IAM mapping for the call {call}: add one to tests/iam.py")
