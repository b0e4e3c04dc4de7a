"""Where to look in the AWS consoles: the Personalize console's pages AWS documents, and an output's S3 page. Pure."""

from __future__ import annotations

import re
from urllib.parse import quote

from notifier.domain.watched import Watched

# The Personalize console's URL forms, as AWS writes them (never guessed): its home page as the developer guide
# links it (https://console.aws.amazon.com/personalize/home), with ?region= as AWS's samples add; a dataset
# group's page as AWS's own solutions link it, the ARN after '#' with its '/' as '$', then /setup
# (aws-solutions/maintaining-personalized-experiences-with-machine-learning, sns_notification/handler.py;
# aws-samples/amazon-personalize-monitor, dashboard-template.mustache). No other resource's page has a
# documented form: the link goes to the dataset group where the ARNs name it, and the text says what to open.
_CONSOLE = "https://console.aws.amazon.com/personalize/home?region={region}"
_DATASET = re.compile(r"(?P<account>arn:[\w-]+:personalize:[\w-]+:\d{12}):dataset/(?P<group>[^/]+)/[^/]+")


def _dataset_group(job: Watched) -> str | None:
    """The ARN of the dataset group it belongs to, where its own ARN or its parent's names it."""
    if job.kind.name == "dataset-group":
        return job.arn
    parent = job.parent_arn or ""
    if job.kind.parent_key == "datasetGroupArn" and ":dataset-group/" in parent:
        return parent
    dataset = _DATASET.fullmatch(parent) if job.kind.parent_key == "datasetArn" else None
    return f"{dataset['account']}:dataset-group/{dataset['group']}" if dataset else None  # dataset/GROUP/TYPE


def console_url(job: Watched) -> str | None:
    """Its dataset group's console page where known, else the console in its region (None outside aws)."""
    if job.arn.split(":")[1] != "aws":
        return None  # other partitions' consoles have hosts of their own
    home = _CONSOLE.format(region=job.region)
    group = _dataset_group(job)
    return f"{home}#{group.replace('/', '$')}/setup" if group else home


def console_where(job: Watched) -> str:
    """What to open in the console to find it: the link cannot go to its own page."""
    if job.kind.name == "dataset-group":
        return f"the dataset group {job.name}"
    what = f"{job.kind.label.lower()} {job.name}"
    group = _dataset_group(job)
    if group:
        return f"the dataset group {group.rsplit('/', 1)[1]}, then its {what}"
    return f"the {what}, in the dataset group that holds it ({job.region})"


def s3_console_url(path: str) -> str | None:
    """s3://bucket/prefix/ -> the S3 console page listing that prefix."""
    if not path.startswith("s3://"):
        return None
    bucket, _, prefix = path[len("s3://") :].partition("/")
    if not bucket:
        return None
    return f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket)}?prefix={quote(prefix)}"
