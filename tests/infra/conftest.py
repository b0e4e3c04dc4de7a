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
