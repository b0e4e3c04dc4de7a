"""EventBridge API destinations in the embedded AWS, as AWS documents them, delivered to a local HTTP receiver.

moto's EventBridge calls an API destination only when MOTO_EVENTS_INVOKE_HTTP is set, and then without a body;
its CloudFormation knows neither AWS::Events::Connection nor AWS::Events::ApiDestination, and resolves no dynamic
reference. Here:

- CloudFormation creates both (Fn::GetAtt Arn), and resolves `{{resolve:secretsmanager:...}}` in any property
  from moto's Secrets Manager at deploy, as AWS does ("Get a secret or secret value from Secrets Manager"); a
  missing secret fails the deploy. It also takes a rule's EventPattern given as a string (the resource's schema
  allows a string or an object; moto encoded a string twice).
- A rule's API destination target gets the event as EventBridge makes the request: the whole event, the part its
  InputPath selects, or its InputTransformer's template filled in (a placeholder inside a JSON string takes the
  value as it is, unescaped: "EventBridge doesn't escape values extracted by Input Path, when populating the Input
  Template", "Amazon EventBridge input transformation", Common issues; outside one, a string becomes a JSON
  string and an object its JSON). Where AWS does not document what comes out (a string with quotes or a line
  break placed outside a JSON string; a path that selects nothing, whose variable "isn't created and won't appear
  in the output", leaving the template's text around it undocumented), the delivery fails loudly instead.
- The request is a POST of that body with the connection's API key header, to the local receiver that
  `receive_webhooks` names, which keeps each request with the URL it was sent to (an https URL of Slack or
  PagerDuty is never called: only loopback addresses are). Retried at once while the receiver answers 429 or 5xx
  (EventBridge retries those, not other 4xx: "API destinations", EventBridge user guide), a few times rather than
  for 24 hours; what still fails goes to the target's dead-letter queue with the rule's and target's ARNs and the
  reason (AWS adds ERROR_CODE and the retry attributes, which nothing here reads).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from notifier_local.moto_internals import (
    CloudFormationModel,
    events_backends,
    parsing,
    secretsmanager_backends,
    sqs_backends,
)

# How many times the emulation retries a 429 or a 5xx at once (EventBridge would for up to 24 hours).
EMULATED_RETRIES = 2
URL_HEADER = "X-Webhook-Url"  # the URL EventBridge would have called, for the receiver to keep


@dataclass(frozen=True)
class Received:
    """One request a webhook received."""

    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[-1].split("/", 1)[0]


@dataclass
class Receiver:
    """An HTTP server on a loopback port that takes webhook requests: it keeps them, and answers each with the next
    status `answer` queued (200 when none is)."""

    requests: list[Received] = field(default_factory=list)
    _answers: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                url = headers.pop(URL_HEADER.lower(), self.path)
                status = receiver._take(Received(url, headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: object) -> None:  # the demo's terminal is not a server log
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "the receiver is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, *statuses: int) -> None:
        with self._lock:
            self._answers.extend(statuses)

    def _take(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self._answers.pop(0) if self._answers else 200

    def take(self) -> list[Received]:
        """What arrived since the last take."""
        with self._lock:
            taken, self.requests = self.requests, []
            return taken

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


_receiver: Receiver | None = None


def receive_webhooks(receiver: Receiver | None) -> None:
    """Where API destinations deliver from now on (None: nowhere, every delivery fails to its dead-letter queue)."""
    global _receiver  # noqa: PLW0603 - one embedded AWS per process
    _receiver = receiver


@contextmanager
def webhooks_received() -> Iterator[Receiver]:
    """A receiver that takes every API destination's requests while it lasts (stopped, and unset, after)."""
    with Receiver() as receiver:
        receive_webhooks(receiver)
        try:
            yield receiver
        finally:
            receive_webhooks(None)


class DeliveryFailed(Exception):
    """What EventBridge would put in the dead-letter queue: the request failed for good."""


class EmulationGap(DeliveryFailed):
    """A case AWS does not document: the delivery fails, naming it, rather than guessing."""


def deliver(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    """One API destination target's request for a matched event, retried and dead-lettered as EventBridge does."""
    backend = events_backends[rule.account_id][rule.region_name]
    name = target["Arn"].split(":api-destination/", 1)[1].split("/", 1)[0]
    destination = backend.destinations[name]
    connection = _connection(backend, destination.connection_arn)
    try:
        body = request_body(target, event)
        headers = {"Content-Type": "application/json; charset=utf-8", **_auth_headers(connection)}
        headers.update((target.get("HttpParameters") or {}).get("HeaderParameters") or {})
        for attempt in range(EMULATED_RETRIES + 1):
            status = _post(destination.invocation_endpoint, headers, body)
            if 200 <= status < 300:
                return
            if status != 429 and status < 500:
                raise DeliveryFailed(f"HTTP {status}: not retried (a 4xx other than 429)")
            if attempt == EMULATED_RETRIES:
                raise DeliveryFailed(f"HTTP {status}, still after {EMULATED_RETRIES} retries")
    except DeliveryFailed as exc:
        _dead_letter(rule, target, event, str(exc))


def _connection(backend: Any, arn: str) -> Any:
    for connection in backend.connections.values():
        if connection.arn == arn:
            return connection
    raise DeliveryFailed(f"the connection {arn} does not exist")


def _auth_headers(connection: Any) -> dict[str, str]:
    key = (connection.auth_parameters or {}).get("ApiKeyAuthParameters") or {}
    return {key["ApiKeyName"]: key["ApiKeyValue"]} if key else {}


def _post(url: str, headers: dict[str, str], body: bytes) -> int:
    if _receiver is None:
        raise DeliveryFailed("nothing receives webhooks here: the request went nowhere")
    forwarded = {**headers, URL_HEADER: url}
    request = urllib.request.Request(_receiver.url + "/", data=body, method="POST", headers=forwarded)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError as exc:
        raise DeliveryFailed(f"the receiver did not answer: {exc}") from exc


def _dead_letter(rule: Any, target: dict[str, Any], event: dict[str, Any], why: str) -> None:
    queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not queue_arn:
        return  # dropped, as EventBridge drops what it cannot deliver to a target without one
    parts = queue_arn.split(":")
    sqs = sqs_backends[parts[4]][parts[3]]
    attributes = {
        "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
        "TARGET_ARN": {"DataType": "String", "StringValue": target["Arn"]},
        "ERROR_MESSAGE": {"DataType": "String", "StringValue": why},
    }
    sqs.send_message(parts[5], json.dumps(_wire_event(event)), message_attributes=attributes)


def _wire_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge writes it (moto keeps its time as a number)."""
    wired = {key: value for key, value in event.items() if key != "ingestion-time"}
    if isinstance(wired.get("time"), (int, float)):
        wired["time"] = datetime.fromtimestamp(wired["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return wired


def request_body(target: dict[str, Any], event: dict[str, Any]) -> bytes:
    """The body EventBridge sends: the event, the part InputPath selects, or InputTransformer's template filled."""
    wired = _wire_event(event)
    if "Input" in target:
        return str(target["Input"]).encode()
    if "InputPath" in target:
        return json.dumps(select(wired, target["InputPath"])).encode()
    transformer = target.get("InputTransformer")
    if transformer:
        return fill(transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, wired).encode()
    return json.dumps(wired).encode()


_MISSING = object()


def select(event: dict[str, Any], path: str) -> Any:
    """A JSONPath in dot notation ($.detail.webhooks.slack)."""
    found: Any = event
    for part in path.removeprefix("$").strip(".").split("."):
        if not part:
            continue
        if not isinstance(found, dict) or part not in found:
            raise EmulationGap(f"{path} selects nothing in the event (AWS does not document what it sends then)")
        found = found[part]
    return found


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_NEEDS_ESCAPING = re.compile(r'["\\\x00-\x1f]')


def fill(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """InputTemplate with each <name> replaced as EventBridge documents it."""
    out: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(template):
        char = template[index]
        match = _PLACEHOLDER.match(template, index) if char == "<" else None
        if match and match.group(1) in paths:
            value = select(event, paths[match.group(1)])
            out.append(_inside_string(value) if in_string else _outside_string(match.group(1), value))
            index = match.end()
            continue
        if in_string and not escaped and char == '"':
            in_string = False
        elif not in_string and char == '"':
            in_string = True
        escaped = in_string and char == "\\" and not escaped
        out.append(char)
        index += 1
    return "".join(out)


def _inside_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _outside_string(name: str, value: Any) -> str:
    if isinstance(value, str) and _NEEDS_ESCAPING.search(value):
        raise EmulationGap(
            f"<{name}> is a string with a quote, backslash or control character placed outside a JSON string: "
            "AWS does not document how it escapes it"
        )
    return json.dumps(value)


def resolve_dynamic_references(value: str, account_id: str, region_name: str) -> str:
    """`{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}` replaced by the
    secret's value (or one key of its JSON)."""

    def secret(match: re.Match[str]) -> str:
        reference = match.group(1)
        fields = reference.split(":")
        size = 7 if reference.startswith("arn:") else 1  # an ARN's own colons
        secret_id, rest = ":".join(fields[:size]), fields[size:]  # SecretString:json-key:version-stage:version-id
        json_key, stage, version = [*rest[1:4], "", "", ""][:3]
        backend = secretsmanager_backends[account_id][region_name]
        try:
            text = backend.get_secret_value(secret_id, version or None, stage or None)["SecretString"]
        except Exception as exc:  # moto's ResourceNotFoundException
            raise parsing.ValidationError(
                message=f"Secrets Manager can't find the specified secret ({secret_id}): {exc}"
            ) from exc
        return str(json.loads(text)[json_key]) if json_key else text

    return re.sub(r"\{\{resolve:secretsmanager:([^}]+)\}\}", secret, value)


class _CreatedByEventBridge:
    """A resource type moto's CloudFormation lacks, created through moto's EventBridge: its Arn for Fn::GetAtt.
    A mixin: moto's CloudFormation knows the direct subclasses of CloudFormationModel only."""

    ATTRIBUTES: tuple[str, ...] = ("Arn",)

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        name = properties.get("Name") or resource_name[-64:]
        attributes = cls.create(events_backends[account_id][region_name], name, properties)
        return _Created(attributes["Arn"], attributes)

    @staticmethod
    def create(backend: Any, name: str, properties: dict[str, Any]) -> dict[str, str]:
        raise NotImplementedError


class CfnConnection(_CreatedByEventBridge, CloudFormationModel):
    ATTRIBUTES = ("Arn", "SecretArn")

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Events::Connection"

    @staticmethod
    def create(backend: Any, name: str, properties: dict[str, Any]) -> dict[str, str]:
        connection = backend.create_connection(
            name, properties.get("Description", ""), properties["AuthorizationType"], properties["AuthParameters"]
        )
        return {"Arn": connection.arn, "SecretArn": connection.secret_arn}


class CfnApiDestination(_CreatedByEventBridge, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Events::ApiDestination"

    @staticmethod
    def create(backend: Any, name: str, properties: dict[str, Any]) -> dict[str, str]:
        backend.create_api_destination(
            name,
            properties.get("Description", ""),
            properties["ConnectionArn"],
            properties["InvocationEndpoint"],
            properties.get("InvocationRateLimitPerSecond"),
            properties["HttpMethod"],
        )
        return {"Arn": backend.destinations[name].arn}


@dataclass
class _Created:
    """What moto's CloudFormation keeps of a resource created here: its physical ID and its attributes."""

    physical_resource_id: str
    attributes: dict[str, str]

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.attributes[attribute_name]

    def is_created(self) -> bool:
        return True


_moto_clean_json: Any = None


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    cleaned = _moto_clean_json(resource_json, resources_map)
    if isinstance(cleaned, str) and "{{resolve:secretsmanager:" in cleaned:
        return resolve_dynamic_references(cleaned, resources_map._account_id, resources_map._region_name)
    return cleaned


def install() -> None:
    """CloudFormation's two resource types and its dynamic references (idempotent)."""
    global _moto_clean_json  # noqa: PLW0603
    if _moto_clean_json is None:
        _moto_clean_json = parsing.clean_json
        parsing.clean_json = _clean_json
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


install()
