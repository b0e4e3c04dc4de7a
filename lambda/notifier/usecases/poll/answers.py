"""Answering Step Functions tasks that wait on a job or resource (lambda:invoke.waitForTaskToken): once it
settles, SendTaskSuccess with the JSON document subscribers get, or SendTaskFailure with the outcome as the
error and the failure reason as the cause. A task whose execution ended is dropped; an answer that fails for
another reason is tried again by the next poll, as a notification is; an answered token is never kept."""

from __future__ import annotations

import json

from notifier.domain import watched
from notifier.domain.watched import Watched, parse_iso
from notifier.observability import logger
from notifier.ports import PublishFailed, TaskAnswers, TaskGone, TaskRefusedByKey
from notifier.rendering.text import shorten
from notifier.usecases.poll.cycle import Cycle
from notifier.usecases.waiting import settled

# SendTaskFailure (botocore's model): error at most 256 characters, cause at most 32768; SendTaskSuccess output at
# most 262144 (bytes, in UTF-8, the API reference says).
ERROR_MAX_CHARS, CAUSE_MAX_CHARS, OUTPUT_MAX_BYTES = 256, 32_768, 262_144


def answer(cycle: Cycle, answers: TaskAnswers | None, record: Watched) -> Watched:
    """Answer every task waiting on a record that settled; the record without the tokens answered or gone. While
    it has not settled, or its answer is tried again, a heartbeat for each task that asked for them and is due one."""
    if answers is None or not record.task_tokens:
        return record
    if not record.answerable:
        return _beat(cycle, answers, record)
    done: set[str] = set()
    retried = False
    for task in record.task_tokens:
        result = settled(record, parse_iso(task.since) or cycle.clock())
        assert result is not None  # answerable: waited out, which is what `settled` tells
        try:
            if result.succeeded:
                answers.succeed(task.token, _output(result.document))
            else:
                cause = result.failure_reason or f"{record.kind.label} {record.name} ended {result.status}"
                answers.fail(task.token, result.outcome[:ERROR_MAX_CHARS], shorten(cause, CAUSE_MAX_CHARS))
        except TaskGone as exc:
            cycle.report.tasks_gone += 1
            logger.info("A waiting task is gone; its token is dropped", extra={"job_arn": record.arn, "why": str(exc)})
        except TaskRefusedByKey as exc:
            if not _fail_without_data(cycle, answers, record, task.token, exc):
                continue
        except PublishFailed as exc:
            cycle.report.publish_errors += 1
            cycle.report.problems.append(f"could not answer a task waiting on {record.arn}: {exc}")
            logger.warning("Answering a task failed; tried again next poll", extra={"job_arn": record.arn})
            retried = True
            continue
        else:
            cycle.report.tasks_answered += 1
        done.add(task.token)
    kept = watched.answered(record, done) if done else record
    if done and not cycle.save(kept, record.version):
        return record
    # A task whose answer is tried again next poll is kept alive meanwhile: its heartbeat timeout is not the
    # notifier's failure to say what happened.
    return _beat(cycle, answers, kept) if retried else kept


def _fail_without_data(cycle: Cycle, answers: TaskAnswers, record: Watched, token: str, refused: Exception) -> bool:
    """The execution's customer managed key refuses the answer's data, which no retry mends: the task is failed
    with no error and no cause, which Step Functions takes without the key ("A caller can mark a task as fail
    without using any AWS KMS permissions ... if the caller provides a null value for both error and cause",
    SendTaskFailure, API reference), and the refusal told once, in the report and the log. The caller needs no KMS
    permission; the execution role does ("Data at rest encryption", Required permissions for API callers). Whether
    it was."""
    cycle.report.problems.append(
        f"the KMS key of the execution waiting on {record.arn} refused its answer ({refused}); the task was failed "
        "without its data: grant the state machine's execution role kms:GenerateDataKey and kms:Decrypt on its key"
    )
    try:
        answers.fail(token, None, None)
    except TaskGone:
        cycle.report.tasks_gone += 1
        return True
    except PublishFailed as exc:
        cycle.report.publish_errors += 1
        cycle.report.problems.append(f"could not fail a task waiting on {record.arn}: {exc}")
        return False
    cycle.report.tasks_failed_without_data += 1
    logger.error(
        "An execution's KMS key refused the answer; its task was failed without data",
        extra={"job_arn": record.arn, "error": str(refused)},
    )
    return True


def _beat(cycle: Cycle, answers: TaskAnswers, record: Watched) -> Watched:
    """SendTaskHeartbeat for each task due one (notifier.domain.watched.TaskToken.beat_due); a task whose
    execution ended is dropped; a heartbeat refused otherwise is tried again next poll."""
    now = cycle.clock()
    beaten, gone = set(), set()
    for task in record.task_tokens:
        if not task.beat_due(now):
            continue
        try:
            answers.heartbeat(task.token)
        except TaskGone as exc:
            cycle.report.tasks_gone += 1
            gone.add(task.token)
            logger.info("A waiting task is gone; its token is dropped", extra={"job_arn": record.arn, "why": str(exc)})
        except PublishFailed as exc:
            cycle.report.publish_errors += 1
            cycle.report.problems.append(f"could not send a heartbeat to a task waiting on {record.arn}: {exc}")
        else:
            cycle.report.heartbeats += 1
            beaten.add(task.token)
    if not (beaten or gone):
        return record
    kept = watched.answered(watched.beaten(record, beaten, now), gone)
    return kept if cycle.save(kept, record.version) else record


# What a task's output keeps when the whole document would pass Step Functions' limit: where it stands, and where
# the output landed (the notification subscribers got carries the rest).
_ESSENTIAL = (
    "version",
    "id",
    "event",
    "jobKind",
    "jobArn",
    "jobName",
    "account",
    "region",
    "status",
    "outcome",
    "outputPath",
    "durationSeconds",
    "consoleUrl",
)


def _output(document: dict[str, object]) -> str:
    """The document as the task's output; one too large for Step Functions keeps its essentials only."""
    output = json.dumps(document, sort_keys=True)
    if len(output.encode()) <= OUTPUT_MAX_BYTES:
        return output
    essential = {key: document.get(key) for key in _ESSENTIAL}
    return json.dumps({**essential, "truncated": True}, sort_keys=True)
