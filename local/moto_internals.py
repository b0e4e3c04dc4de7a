"""Every part of moto the embedded AWS uses beyond moto's public API, taken in this module alone, each checked.

moto documents `mock_aws`, `ThreadedMotoServer` and the server's `/moto-api/` endpoints (reset among them) as its
API. The embedded AWS also extends moto where moto lacks what the notifier meets (the Personalize job calls, email
and chat delivery, EventBridge's Lambda targets, STS refusals, Step Functions task answers, AWS's public
parameters), and that takes moto's internals. Each one is named here and looked up when this module is imported,
so a moto release that moves one stops the demo, the playground and the tests with one line naming the installed
moto's version and what it lacks, never "not installed" and never a traceback from inside a request.

Other modules import these names from here, and replace moto's methods with `replace`, which checks the method is
there before it is replaced.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

import moto  # noqa: F401 - moto itself missing is an ImportError: the extra is not installed

MOTO_VERSION = version("moto")
# The moto the whole test suite runs on (requirements-dev.txt pins it; tests/unit/test_moto_internals.py holds
# the two equal); a fresh install of the `local` extra gets the newest moto its range admits, run by the
# installed-package test.
TESTED_MOTO = "5.2.6"


class MotoMismatch(ImportError):
    """The installed moto lacks a part of moto the embedded AWS extends."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"the embedded AWS extends {what}, which moto {MOTO_VERSION} does not have "
            f"(it was tested with moto {TESTED_MOTO}: pip install 'moto[server]=={TESTED_MOTO}')"
        )


# (module, name, members the embedded AWS calls or replaces): the list `take` checks, and tests walk.
TOUCHES: list[tuple[str, str, tuple[str, ...]]] = []


def take(module: str, name: str, *members: str) -> Any:
    """`module.name`, after checking it and the named members exist in the installed moto."""
    TOUCHES.append((module, name, members))
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise MotoMismatch(f"{module}.{name}") from exc
    for member in members:
        if not hasattr(found, member):
            raise MotoMismatch(f"{module}.{name}.{member}")
    return found


def replace(owner: type, name: str, new: Any) -> Any:
    """Put `new` in place of `owner.name`, which moto has; returns moto's own, for `new` to call. Replacing again
    (a second install) keeps moto's own as the original."""
    key = (owner, name)
    if key not in _ORIGINALS:
        if not hasattr(owner, name):
            raise MotoMismatch(f"{owner.__module__}.{owner.__qualname__}.{name}")
        _ORIGINALS[key] = getattr(owner, name)
    setattr(owner, name, new)
    return _ORIGINALS[key]


_ORIGINALS: dict[tuple[type, str], Any] = {}


# Errors answered in a JSON protocol's shape (Personalize, Step Functions): moto's own base for them.
JsonRESTError = take("moto.core.exceptions", "JsonRESTError")
EmptyResult = take("moto.core.responses", "EmptyResult")
# EventBridge: a rule's delivery to its targets, and what CloudFormation's Ref of a bus resolves to.
EventBus = take("moto.events.models", "EventBus")
Rule = take("moto.events.models", "Rule", "send_to_targets", "create_from_cloudformation_json")
# EventBridge API destinations: the connections and destinations moto keeps, what CloudFormation creates and how it
# cleans a template's values (where dynamic references are resolved), the queues and secrets they use.
events_backends = take("moto.events.models", "events_backends")
CloudFormationModel = take("moto.core.common_models", "CloudFormationModel")
parsing = take("moto.cloudformation", "parsing", "clean_json", "get_model_map", "get_name_type_map", "ValidationError")
secretsmanager_backends = take("moto.secretsmanager.models", "secretsmanager_backends")
sqs_backends = take("moto.sqs.models", "sqs_backends")
# IAM and STS: which roles an account has; AssumeRole and the error it answers.
iam_backends = take("moto.iam.models", "iam_backends")
STSBackend = take("moto.sts.models", "STSBackend", "assume_role")
STSClientError = take("moto.sts.exceptions", "STSClientError")
# Step Functions' task answers.
StepFunctionResponse = take(
    "moto.stepfunctions.responses", "StepFunctionResponse", "send_task_success", "send_task_heartbeat", "_get_param"
)
# Personalize: the emulator's calls are methods of moto's response class, its jobs kept on moto's backend.
PersonalizeBackend = take("moto.personalize.models", "PersonalizeBackend")
personalize_backends = take("moto.personalize.models", "personalize_backends")
PersonalizeResponse = take("moto.personalize.responses", "PersonalizeResponse", "_get_param", "personalize_backend")
# SNS: a subscription's delivery, its filter policy and a JSON message's body per protocol.
Subscription = take("moto.sns.models", "Subscription", "publish", "_parse_message_structure")
# SSM: AWS's public parameters (names under /aws/), which moto's API refuses to create.
SsmParameter = take("moto.ssm.models", "Parameter")
ssm_backends = take("moto.ssm.models", "ssm_backends")
# moto's documented server, taken here too so that everything the embedded AWS needs of moto is checked at once.
ThreadedMotoServer = take("moto.server", "ThreadedMotoServer", "start", "stop")
