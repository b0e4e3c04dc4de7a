"""Which credentials read an ARN's account: this one's own, or another account's through the role the notifier
assumes there. An ARN carries its account, so nothing but the ARN decides.

Assumed credentials are botocore's refreshable kind: each account's role is assumed on its first call, the
credentials are kept across calls (and across warm invocations, with the module's objects), and botocore
assumes the role again shortly before they expire (its advisory and mandatory refresh windows,
botocore/credentials.py: 15 and 10 minutes before expiry).

A role that cannot be assumed (none yet in that account, its trust broken, an SCP) is an AccountUnreachable for
every call of that account; the refusal is kept for a minute, so a poll of many of its jobs asks STS once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from notifier.ports import AccountUnreachable, DescribeFailed

# botocore logs a failed refresh with its traceback, for every call of that account's clients: the poll says it
# once per account instead (the refusal is an AccountUnreachable raised from that refresh).
logging.getLogger("botocore.credentials").setLevel(logging.ERROR)

SESSION_NAME = "personalize-job-notifier"  # how the member account's CloudTrail names the calls
REFUSAL_KEPT_SECONDS = 60.0  # a role that could not be assumed is not asked again sooner (about one poll)


class AccountSessions:
    """A boto3 session per account, made on first use and kept; `role_name` None reads this account only."""

    def __init__(
        self,
        session: boto3.session.Session,
        role_name: str | None = None,
        *,
        external_id: str | None = None,
        home_account: str | None = None,
        duration_seconds: int = 3600,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._home = session
        self._role_name = role_name
        self._external_id = external_id
        self._home_account = home_account
        self._duration = duration_seconds
        self._sessions: dict[str, boto3.session.Session] = {}
        self._lock = threading.Lock()
        self._refused: dict[str, tuple[float, AccountUnreachable]] = {}
        self._monotonic = monotonic
        self.assumed = 0  # AssumeRole calls made: what a poll spends on reaching other accounts

    def role_arn(self, account: str, partition: str = "aws") -> str:
        """The role this notifier assumes in another account."""
        return f"arn:{partition}:iam::{account}:role/{self._role_name}"

    def is_member(self, account: str) -> bool:
        """Whether this account's ARNs are read through the member role (another account, a role configured)."""
        return self._role_name is not None and account != self.home_account

    @property
    def home_account(self) -> str:
        """This account: as given, else asked of STS once (a call only when another account's ARN comes up)."""
        if self._home_account is None:
            self._home_account = self._home.client("sts").get_caller_identity()["Account"]
        return self._home_account

    def session_for(self, account: str, partition: str = "aws") -> boto3.session.Session:
        """The session that reads this account: the home one, or the member role's."""
        if not self.is_member(account):
            return self._home
        with self._lock:
            if account not in self._sessions:
                self._sessions[account] = self._assumed(account, self.role_arn(account, partition))
            return self._sessions[account]

    def _assumed(self, account: str, role_arn: str) -> boto3.session.Session:
        credentials = DeferredRefreshableCredentials(
            refresh_using=self._assume(account, role_arn), method="sts-assume-role"
        )
        core = botocore.session.Session()
        # botocore has no public setter for refreshable credentials: get_credentials() returns this once set.
        core._credentials = credentials
        return boto3.session.Session(botocore_session=core, region_name=self._home.region_name)

    def _assume(self, account: str, role_arn: str) -> Callable[[], dict[str, Any]]:
        def refresh() -> dict[str, Any]:
            refused = self._refused.get(account)
            if refused is not None and self._monotonic() - refused[0] < REFUSAL_KEPT_SECONDS:
                raise refused[1]
            asked: dict[str, Any] = {
                "RoleArn": role_arn,
                "RoleSessionName": SESSION_NAME,
                "DurationSeconds": self._duration,
            }
            if self._external_id:
                asked["ExternalId"] = self._external_id
            self.assumed += 1
            try:
                answer = self._home.client("sts").assume_role(**asked)["Credentials"]
            except ClientError as exc:
                error = exc.response.get("Error", {})
                unreachable = AccountUnreachable(
                    account, role_arn, str(error.get("Code", "Unknown")), str(error.get("Message", ""))
                )
                self._refused[account] = (self._monotonic(), unreachable)
                raise unreachable from exc
            except BotoCoreError as exc:  # STS itself out of reach: not the account's doing, tried again next call
                raise DescribeFailed(role_arn, type(exc).__name__, str(exc)) from exc
            self._refused.pop(account, None)
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": answer["Expiration"].isoformat(),
            }

        return refresh
