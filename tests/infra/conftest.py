"""Synthesized templates, built once per module (a synth takes seconds, an assertion milliseconds)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

FULL_CONTEXT = {
    "notifyEmails": "ana@example.com,ben@example.org",
    "failureEmails": "oncall@example.com",
    "slackWorkspaceId": "T0123ABCD",
    "slackChannelId": "C0456EFGH",
}


@pytest.fixture(scope="module")
def synth():
    from aws_cdk.assertions import Template

    from app import build_app

    def make(context: dict | None = None) -> Template:
        _, stack = build_app(context, nag=False)
        return Template.from_stack(stack)

    return make


def policy_statements(template) -> list[dict]:
    """Every statement of every IAM policy in the template (inline role policies included)."""
    found = []
    for resource in template.find_resources("AWS::IAM::Policy").values():
        found += resource["Properties"]["PolicyDocument"]["Statement"]
    for resource in template.find_resources("AWS::IAM::Role").values():
        for policy in resource["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
