"""Wires the boto3 adapters into the use cases: the poll (with discovery and fast mode), the track function's
session and reader. Clients are made here, at first use, never at import."""

from __future__ import annotations

import time
from collections.abc import Callable

import boto3
from botocore.config import Config

from notifier.adapters.accounts import AccountSessions
from notifier.adapters.personalize import PersonalizeResources
from notifier.adapters.publisher import EventBridgePublisher, SnsPublisher, StepFunctionsAnswers
from notifier.adapters.store import build_store
from notifier.adapters.usage import CloudWatchRequests
from notifier.app.settings import MemberAccess, Settings
from notifier.observability import logger
from notifier.ports import NotifierError, Publisher
from notifier.usecases.discovery import discover
from notifier.usecases.poll.poller import Poller, unlimited_time
from notifier.usecases.poll.report import PollReport


def channels(settings: Settings, session: boto3.session.Session) -> list[Publisher]:
    """SNS first (people wait on it), then EventBridge when a bus is configured."""
    found: list[Publisher] = [SnsPublisher(settings.topic_arn, session.client("sns"))]
    if settings.event_bus_name:
        found.append(
            EventBridgePublisher(
                settings.event_bus_name, settings.event_source, session.client("events"), webhooks=settings.webhooks
            )
        )
    return found


def build_poller(
    settings: Settings, session: boto3.session.Session | None = None, personalize_config: Config | None = None
) -> Poller:
    return PollCycle(settings, session, personalize_config).poller


def account_sessions(session: boto3.session.Session, members: MemberAccess | None) -> AccountSessions | None:
    """How other accounts' ARNs are read: through the member role, when one is configured."""
    if members is None:
        return None
    return AccountSessions(session, role_name=members.role_name, external_id=members.external_id)


class PollCycle:
    """What one scheduled run does: optional discovery (accounts without a trail), then the poll.

    Its adapters (one client per service, one Personalize client per region) serve both.
    """

    def __init__(
        self,
        settings: Settings,
        session: boto3.session.Session | None = None,
        personalize_config: Config | None = None,  # the CLI's timeouts; the Lambda keeps the defaults
    ) -> None:
        session = session or boto3.session.Session()
        self._settings = settings
        self._store = build_store(settings.table_name, session)
        accounts = account_sessions(session, settings.members)
        self._personalize = PersonalizeResources(
            session,
            max_pool_connections=settings.max_concurrency + 2,
            max_rps=settings.personalize_max_rps,
            config=personalize_config,
            time_margin_seconds=settings.time_margin_seconds,
            accounts=accounts,
        )
        self.poller = Poller(
            store=self._store,
            describer=self._personalize,
            channels=channels(settings, session),
            settings=settings.poll_settings(),
            lister=self._personalize,
            metrics=self._personalize,
            looker=self._personalize,
            task_answers=StepFunctionsAnswers(lambda: session.client("stepfunctions")),
            requests=CloudWatchRequests(session, accounts=accounts) if settings.usage else None,
        )

    def run(
        self,
        remaining_seconds: Callable[[], float] = unlimited_time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> PollReport:
        """One poll; in fast mode (RECHECK_SECONDS), more while anything is active and time is left.

        An idle poll (nothing active, nothing owed) returns at once: the idle cost is one query.
        """
        self._personalize.deadline.bind(remaining_seconds)  # no Personalize call outlasts the invocation
        report = self._discover(remaining_seconds)
        started = remaining_seconds()
        last = self.poller.poll(remaining_seconds)
        report.add(last)
        recheck = self._settings.recheck_seconds
        while recheck and not last.idle:
            # Polls start every `recheck` seconds (however long each took), while one can still start
            # before the margin.
            wait = max(0.0, recheck - (started - remaining_seconds()))
            if remaining_seconds() - wait < self._settings.time_margin_seconds:
                break
            sleep(wait)
            started = remaining_seconds()
            last = self.poller.poll(remaining_seconds)
            report.add(last)
        return report

    def _discover(self, remaining_seconds: Callable[[], float]) -> PollReport:
        """Discovery (accounts without a trail), once per invocation, never at the cost of the poll."""
        report = PollReport()
        if self._settings.discovers and remaining_seconds() > self._settings.time_margin_seconds:
            try:
                found = discover(
                    self._personalize,
                    self._store,
                    regions=self._settings.discover_regions,
                    parent_arns=self._settings.discover_parents or (None,),
                    describer=self._personalize,
                )
                report.jobs_discovered = len(found.tracked)
                for error in found.errors:
                    logger.warning("A discovery listing failed; the others ran", extra={"error": error})
            except NotifierError as exc:  # a failed listing never costs the poll itself
                logger.warning("Discovery failed; polling the jobs already tracked", extra={"error": str(exc)})
        return report
