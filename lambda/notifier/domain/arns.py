"""Personalize ARNs: which part is wrong, and which watched kind, region and name a right one names; which ARNs are
parents a listing narrows by (a dataset, a solution ...). Pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from notifier.domain.kinds import KINDS, REGISTRY, Kind

# Personalize's own ARN pattern (botocore's service model), plus its 256-character limit.
ARN_MAX_LENGTH = 256
_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[a-z\d-]+):personalize:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):"
    r"(?P<account>\d{12}):(?P<resource_type>[a-z-]+)/(?P<name>[^/]+(?:/[^/]+)*)$"
)
_BY_ARN_SHAPE: dict[tuple[str, int], Kind] = {(k.arn_resource_type, k.arn_path_parts): k for k in REGISTRY}


class InvalidArn(ValueError):
    """An ARN this tool cannot watch; the message names the ARN and why."""

    def __init__(self, arn: object, why: str) -> None:
        self.arn = arn
        self.why = why
        super().__init__(f"{arn!r} is not an ARN this notifier can watch: {why}")


_PARTITION = re.compile(r"aws(?:-[a-z]+)*")
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")  # a region name, like us-east-1 (use fullmatch)
_ACCOUNT = re.compile(r"\d{12}")


def arn_part_error(arn: str, service: str) -> str | None:
    """Which part of arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/NAME is wrong, in words; None when all look right."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return f"not an ARN (expected arn:PARTITION:{service}:REGION:ACCOUNT:TYPE/NAME)"
    _, partition, named_service, region, account, resource = parts
    if not _PARTITION.fullmatch(partition):
        return f"the partition {partition!r} is not one (aws, aws-cn, aws-us-gov, ...)"
    if named_service != service:
        return f"the service {named_service!r} is not {service}"
    if not REGION_PATTERN.fullmatch(region):
        return f"the region {region!r} is not a region name (like us-east-1)"
    if not _ACCOUNT.fullmatch(account):
        return f"the account {account!r} is not a 12-digit account ID"
    resource_type, slash, name = resource.partition("/")
    if not slash or not resource_type:
        return f"the resource {resource!r} is not TYPE/NAME"
    if not name or "" in name.split("/"):
        return f"the name after {resource_type}/ is missing"
    return None


def _unknown_kind(resource_type: str, name: str) -> str:
    """What is wrong with a TYPE/NAME no kind has: the likely type (or the shapes its name may have)."""
    shapes: dict[str, list[str]] = {}
    for kind in REGISTRY:
        shape = f"{kind.arn_resource_type}/{'NAME/ID' if kind.arn_path_parts == 2 else 'NAME'}"
        shapes.setdefault(kind.arn_resource_type, []).append(f"{shape} ({kind.label.lower()})")
    if resource_type in shapes:
        return f"{resource_type}/{name} is none of the {resource_type} ARNs: {', '.join(shapes[resource_type])}"
    close = difflib.get_close_matches(resource_type, sorted(shapes), n=1, cutoff=0.8)  # a typo, not another kind
    hint = f"did you mean {close[0]}? " if close else ""
    return f"the type {resource_type!r} is not a kind it watches ({hint}the kinds are {', '.join(sorted(shapes))})"


@dataclass(frozen=True)
class ParsedArn:
    arn: str
    partition: str
    region: str
    account: str
    kind: Kind
    name: str


def parse_arn(arn: object) -> ParsedArn:
    """Validate a tracked ARN and tell its kind, region and name; a bad one is named with the part that is wrong."""
    if not isinstance(arn, str) or not arn:
        raise InvalidArn(arn, "expected a non-empty string")
    if len(arn) > ARN_MAX_LENGTH:
        raise InvalidArn(arn, f"longer than {ARN_MAX_LENGTH} characters")
    why = arn_part_error(arn, "personalize")
    if why:
        raise InvalidArn(arn, why)
    parts = _ARN_PARTS.match(arn)
    if parts is None:
        raise InvalidArn(arn, "expected arn:PARTITION:personalize:REGION:ACCOUNT:TYPE/NAME")
    kind = _BY_ARN_SHAPE.get((parts["resource_type"], parts["name"].count("/") + 1))
    if kind is None:
        raise InvalidArn(arn, _unknown_kind(parts["resource_type"], parts["name"]))
    return ParsedArn(
        arn=arn,
        partition=parts["partition"],
        region=parts["region"],
        account=parts["account"],
        kind=kind,
        name=parts["name"],
    )


def account_of(arn: str) -> str:
    """The account field of an ARN (its fifth), read without validating the rest: any ARN, watched or not."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


# What each List... call narrows by, as (ARN resource type, path parts) of the parent it takes.
_PARENT_SHAPES = {
    "datasetArn": ("dataset", 2),
    "datasetGroupArn": ("dataset-group", 1),
    "solutionArn": ("solution", 1),
    "solutionVersionArn": ("solution", 2),
}
_PARENT_ARN = re.compile(r"^arn:[a-z\d-]+:personalize:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[a-z-]+/.+$")
PARENT_KINDS = "a dataset, dataset group, solution or solution version"


def is_parent_arn(arn: str) -> bool:
    """An ARN some kind's List... narrows by: what `discover` and DISCOVER accept."""
    return bool(_PARENT_ARN.match(arn)) and bool(kinds_listing_under(arn, KINDS.values()))


def kinds_listing_under(parent_arn: str | None, kinds: Iterable[Kind]) -> list[Kind]:
    """The kinds whose List... takes this parent (a dataset: exports and imports; a solution: versions ...)."""
    if parent_arn is None:
        return list(kinds)
    resource = parent_arn.split(":", 5)[-1]
    resource_type, _, path = resource.partition("/")
    shape = (resource_type, path.count("/") + 1 if path else 0)
    return [kind for kind in kinds if _PARENT_SHAPES.get(kind.list_filter_parameter) == shape]


def region_of(arn: str) -> str | None:
    """The region field of an ARN, when it has one."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None
