"""Where moto differs from AWS in a way this project meets, set right (each fix says what AWS does).

- EventBridge: a scheduled rule (ScheduleExpression, no EventPattern) fires only on its schedule; moto
  matches it against every put event and then fails on its Lambda target ("Expr not defined"). The
  stack's poll schedule lives on the default bus, where the notifier puts its events.
- EventBridge: moto cannot run Lambda code without Docker, and fails on a rule whose target is a function.
  AWS invokes it asynchronously; here the event a function target would get is kept in `lambda_deliveries`
  (function ARN, event), for a test or the demo to hand to the handler, and the rule's other targets get it.
- EventBridge: API destinations are delivered as AWS does, to a local receiver (notifier_local.api_destinations);
  CloudFormation takes a rule's EventPattern given as a string (the resource's schema allows one; moto encoded it
  a second time).
- CloudFormation: the Ref of an AWS::Events::EventBus is its name (CloudFormation's resource reference); moto
  hands the rule that names it (EventBusName) its Python object, and fails.
- STS: moto's AssumeRole succeeds for any role ARN. AWS refuses a role that does not exist (AccessDenied, as for
  one whose trust refuses the caller), which is how a member account without the notifier's role looks. Refused
  here for another account's roles; an account's own roles (the CDK CLI's bootstrap roles) are left as moto has
  them, and so is OrganizationAccountAccessRole, which AWS Organizations creates in every account it creates
  ("Accessing member accounts", Organizations user guide): how a management account's admin reaches a member.
- Step Functions: moto accepts SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat for any token and keeps
  nothing. AWS answers TaskTimedOut (or TaskDoesNotExist, InvalidToken) for a token whose task ended. Here every
  answer is kept in `task_answers` and every heartbeat's token in `task_heartbeats`, `end_task(token)` makes a
  token's answers and heartbeats fail as AWS's would, and `refuse_answers(token, n)` makes its next n answers
  fail with an error botocore does not retry.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

from notifier_local import api_destinations
from notifier_local.aws import ORGANIZATION_ACCESS_ROLE
from notifier_local.moto_internals import (
    EmptyResult,
    EventBus,
    JsonRESTError,
    Rule,
    StepFunctionResponse,
    STSBackend,
    STSClientError,
    iam_backends,
    replace,
)

lambda_deliveries: list[tuple[str, dict[str, Any]]] = []
# moto's own methods, which the replacements call (set by install)
_moto_send_to_targets: Any = None
_moto_assume_role: Any = None
_moto_rule_from_cloudformation: Any = None


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    pattern = getattr(self, "event_pattern", None)
    if self.scheduled_expression and not getattr(pattern, "_raw_pattern", None):
        return None  # a schedule, not a pattern: put events never match it
    functions = [target for target in self.targets if ":lambda:" in target["Arn"]]
    destinations = [target for target in self.targets if ":api-destination/" in target["Arn"]]
    if not functions and not destinations:
        return _moto_send_to_targets(self, original_event, transform_input)
    if self.event_pattern.matches_event(original_event):
        lambda_deliveries.extend((target["Arn"], dict(original_event)) for target in functions)
        for target in destinations:
            api_destinations.deliver(self, target, dict(original_event))
    others = [target for target in self.targets if target not in functions and target not in destinations]
    if others:
        everything, self.targets = self.targets, others
        try:
            _moto_send_to_targets(self, original_event, transform_input)
        finally:
            self.targets = everything
    return None


def _rule_from_cloudformation(resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
    properties = cloudformation_json.get("Properties", {})
    if isinstance(properties.get("EventPattern"), str):
        properties["EventPattern"] = json.loads(properties["EventPattern"])
    return _moto_rule_from_cloudformation(resource_name, cloudformation_json, *args, **kwargs)


def _assume_role(
    self: STSBackend, region_name: str, role_session_name: str, role_arn: str, *args: Any, **kwargs: Any
) -> Any:
    parts = role_arn.split(":")
    account, name = (parts[4], parts[5].rsplit("/", 1)[-1]) if len(parts) > 5 else (None, None)
    if account and account != self.account_id and name != ORGANIZATION_ACCESS_ROLE:
        names = {role.name for role in iam_backends[account][parts[1]].get_roles()}
        if name not in names:
            raise STSClientError(
                "AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
    return _moto_assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs)


@dataclass(frozen=True)
class TaskAnswer:
    token: str
    succeeded: bool
    output: str | None = None
    error: str | None = None
    cause: str | None = None


task_answers: list[TaskAnswer] = []
task_heartbeats: list[str] = []
_ended_tasks: dict[str, str] = {}
_refusals: dict[str, tuple[int, str]] = {}


def end_task(token: str, code: str = "TaskTimedOut") -> None:
    """The execution that handed out this token ended (or its task timed out): answers to it fail with `code`."""
    _ended_tasks[token] = code


def refuse_answers(token: str, times: int = 1, code: str = "KmsThrottlingException") -> None:
    """The next `times` answers to this token that carry data fail with `code` (by default, KMS throttling the
    call Step Functions makes for the execution's key: an error botocore does not retry, so the answer is the
    poll's to try again; KmsAccessDeniedException for a key that refuses). A failure with neither error nor cause
    needs no key: it is taken."""
    _refusals[token] = (times, code)


def reset_tasks() -> None:
    task_answers.clear()
    task_heartbeats.clear()
    _ended_tasks.clear()
    _refusals.clear()


def _answer(response: StepFunctionResponse, succeeded: bool) -> Any:
    token = str(response._get_param("taskToken"))
    if token in _ended_tasks:
        raise JsonRESTError(_ended_tasks[token], "Task Timed Out: 'Provided task does not exist anymore'")
    times, code = _refusals.get(token, (0, ""))
    dataless = not succeeded and response._get_param("error") is None and response._get_param("cause") is None
    if times and not dataless:
        _refusals[token] = (times - 1, code)
        raise JsonRESTError(code, "Refused by the state machine's KMS key policy")
    params = (
        {"output": response._get_param("output")}
        if succeeded
        else {"error": response._get_param("error"), "cause": response._get_param("cause")}
    )
    task_answers.append(TaskAnswer(token, succeeded, **params))
    return EmptyResult()


def _heartbeat(response: StepFunctionResponse) -> Any:
    token = str(response._get_param("taskToken"))
    if token in _ended_tasks:
        raise JsonRESTError(_ended_tasks[token], "Task Timed Out: 'Provided task does not exist anymore'")
    task_heartbeats.append(token)
    return EmptyResult()


def install() -> None:
    # AWS answers AccessDenied, a common error botocore's STS model has no shape for; moto warns of that.
    warnings.filterwarnings("ignore", message=r"Exception\(STSClientError\) with code AccessDenied")
    global _moto_send_to_targets, _moto_assume_role, _moto_rule_from_cloudformation  # noqa: PLW0603 - moto's own
    _moto_send_to_targets = replace(Rule, "send_to_targets", _send_to_targets)
    _moto_rule_from_cloudformation = replace(
        Rule, "create_from_cloudformation_json", staticmethod(_rule_from_cloudformation)
    )
    _moto_assume_role = replace(STSBackend, "assume_role", _assume_role)
    EventBus.physical_resource_id = property(lambda self: self.name)  # moto's EventBus has none: added
    replace(StepFunctionResponse, "send_task_success", lambda self: _answer(self, True))
    replace(StepFunctionResponse, "send_task_failure", lambda self: _answer(self, False))
    replace(StepFunctionResponse, "send_task_heartbeat", _heartbeat)


install()
