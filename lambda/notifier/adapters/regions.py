"""Which regions exist, and where a service runs, as botocore's endpoint data lists them (no call to AWS)."""

from __future__ import annotations

import functools

import botocore
import botocore.session

from notifier.domain.arns import REGION_PATTERN
from notifier.domain.spelling import closest

# The CLI's table, stack and topic are DynamoDB's, CloudFormation's and SNS's, which run in every region:
# DynamoDB's list stands for "an AWS region".
SERVICE_LABELS = {"dynamodb": "an AWS region", "personalize": "a region Amazon Personalize runs in"}


@functools.cache
def known_regions(service: str, partition: str | None = None) -> tuple[str, ...]:
    """The regions botocore's endpoint data lists for a service, in one partition or in every one."""
    session = botocore.session.get_session()
    partitions = [partition] if partition else session.get_available_partitions()
    return tuple(
        sorted(region for name in partitions for region in session.get_available_regions(service, partition_name=name))
    )


def region_problem(name: str, service: str = "dynamodb") -> str | None:
    """What is wrong with a region name, in words (its likely spelling); None when the service runs there."""
    if not REGION_PATTERN.fullmatch(name):
        return "is not an AWS region name (like us-east-1)"
    known = known_regions(service)
    if name in known:
        return None
    if name in known_regions("dynamodb"):  # a region, where this service does not run: no other name is meant
        return f"is not {SERVICE_LABELS[service]} (botocore {botocore.__version__} lists {len(known)} where it runs)"
    close = closest(name, known)
    hint = (
        f"did you mean {close}?"
        if close
        else f"botocore {botocore.__version__} knows {len(known)}; a newer region needs a newer boto3"
    )
    return f"is not {SERVICE_LABELS[service]} ({hint})"
