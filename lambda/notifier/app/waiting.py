"""`wait_for`, the Python API pipelines call (`from notifier import wait_for`): the wait of
notifier.usecases.waiting over this process's AWS: Personalize through the adapter, and the deployed table when one
is named.

    from notifier import wait_for
    [done] = wait_for(["arn:aws:personalize:us-east-1:123456789012:dataset-export-job/nightly"], timeout=6 * 3600)
    if not done.succeeded:
        raise RuntimeError(done.failure_reason)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import boto3

from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.store import build_store
from notifier.domain.arns import parse_arn
from notifier.domain.clock import utc_now
from notifier.usecases.waiting import Describing, ReadingTable, Settled, Source, wait_on


def wait_for(
    arns: Sequence[str],
    *,
    timeout: float | None = None,
    table: str | None = None,
    session: Any = None,
    on_settled: Callable[[Settled], None] | None = None,
) -> list[Settled]:
    """Block until every job or resource settles; each result says how (`succeeded`, `outcome`, `output_path`,
    `failure_reason`, and `document`, the JSON subscribers get). With `table` (the deployed stack's TableName)
    the wait reads the records the poll keeps; without, it describes each ARN itself.

    Raises InvalidArn for a malformed ARN, NotKnown for one Personalize does not know, WaitTimedOut when
    `timeout` seconds pass first, and the adapters' errors (DescribeFailed ...) when AWS cannot be asked."""
    for arn in arns:
        parse_arn(arn)
    session = session or boto3.session.Session()
    source = wait_source(PersonalizeResources(session), table, session)
    return wait_on(source, arns, timeout=timeout, on_settled=on_settled)


def wait_source(describer: PersonalizeResources, table: str | None, session: Any) -> Source:
    """Where a wait looks: the records the deployed poll keeps in `table`, else Personalize described directly."""
    if table:
        return ReadingTable(build_store(table, session), describer, utc_now)
    return Describing(describer, utc_now)
