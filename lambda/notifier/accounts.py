"""Which credentials read an ARN's account: this one's own, or another account's through the role the notifier
assumes there. An ARN carries its account, so nothing but the ARN decides.

Assumed credentials are botocore's refreshable kind: each account's role is assumed on its first call, the
credentials are kept across calls (and across warm invocations, with the module's objects), and botocore
assumes the role again shortly before they expire (its advisory and mandatory refresh windows,
botocore/credentials.py: 15 and 10 minutes before expiry).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.credentials import DeferredRefreshableCredentials

SESSION_NAME = "personalize-job-notifier"  # how the member account's CloudTrail names the calls


class AccountSessions:
    """A boto3 session per account, made on first use and kept; `role_name` None reads this account only."""

    def __init__(
        self,
        session: boto3.session.Session,
        role_name: str | None = None,
        external_id: str | None = None,
        home_account: str | None = None,
        duration_seconds: int = 3600,
    ) -> None:
        self._home = session
        self._role_name = role_name
        self._external_id = external_id
        self._home_account = home_account
        self._duration = duration_seconds
        self._sessions: dict[str, boto3.session.Session] = {}
        self._lock = threading.Lock()
        self.assumed = 0  # AssumeRole calls made: what a poll spends on reaching other accounts

    @property
    def home_account(self) -> str:
        """This account: as given, else asked of STS once (a call only when another account's ARN comes up)."""
        if self._home_account is None:
            self._home_account = self._home.client("sts").get_caller_identity()["Account"]
        return self._home_account

    def session_for(self, account: str, partition: str = "aws") -> boto3.session.Session:
        """The session that reads this account: the home one, or the member role's."""
        if self._role_name is None or account == self.home_account:
            return self._home
        with self._lock:
            if account not in self._sessions:
                self._sessions[account] = self._assumed(f"arn:{partition}:iam::{account}:role/{self._role_name}")
            return self._sessions[account]

    def _assumed(self, role_arn: str) -> boto3.session.Session:
        credentials = DeferredRefreshableCredentials(refresh_using=self._assume(role_arn), method="sts-assume-role")
        core = botocore.session.Session()
        # botocore has no public setter for refreshable credentials: get_credentials() returns this once set.
        core._credentials = credentials
        return boto3.session.Session(botocore_session=core, region_name=self._home.region_name)

    def _assume(self, role_arn: str) -> Callable[[], dict[str, Any]]:
        def refresh() -> dict[str, Any]:
            asked: dict[str, Any] = {
                "RoleArn": role_arn,
                "RoleSessionName": SESSION_NAME,
                "DurationSeconds": self._duration,
            }
            if self._external_id:
                asked["ExternalId"] = self._external_id
            answer = self._home.client("sts").assume_role(**asked)["Credentials"]
            self.assumed += 1
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": answer["Expiration"].isoformat(),
            }

        return refresh
