"""A notifier Lambda as every one of them is built: python3.14 on arm64, Powertools layer, JSON logs kept a
month (the platform's START/END/REPORT lines only at WARN: most polls are idle and would pay for them),
X-Ray tracing when asked for (-c tracing=true), and a role of its own that may write only to its own logs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from notifier.domain.kinds import KINDS, SOLUTION_METRICS_ACTION, Kind
from notifier.observability import DEFAULT_METRICS_NAMESPACE, SERVICE

from .settings import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_MEMORY_MB,
    LAMBDA_RUNTIME,
    LOG_RETENTION_DAYS,
    POWERTOOLS_LAYER_PARAMETER,
    DeploySettings,
)


def _lambda_root() -> Path:
    """The function's code: shipped inside the installed package (a wheel of notifier_cdk), else the
    repository's lambda/ beside this folder."""
    here = Path(__file__).resolve().parent
    shipped = here / "_lambda"
    return shipped if (shipped / "notifier" / "handlers").is_dir() else here.parent / "lambda"


LAMBDA_ROOT = _lambda_root()
RUNTIME = lambda_.Runtime(LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON)
ARCHITECTURE = lambda_.Architecture.ARM_64 if LAMBDA_ARCHITECTURE == "arm64" else lambda_.Architecture.X86_64
METRICS_NAMESPACE = DEFAULT_METRICS_NAMESPACE
# The functions run the handlers; the `notifier` command (cli/, __main__) is the installed package's, never Lambda's
# (the import contract keeps everything below the entry points from importing it).
# The log groups' retention, by its days (the settings say how many; CloudWatch Logs takes these values).
LOG_RETENTIONS = {30: logs.RetentionDays.ONE_MONTH}

ASSET_EXCLUDES = [
    "**/__pycache__",
    "**/*.pyc",
    "*.egg-info",
    "tests",
    ".pytest_cache",
    "notifier/cli",
    "notifier/__main__.py",
]


class NotifierFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        handler: str,
        description: str,
        timeout: Duration,
        environment: dict[str, str],
        retry_attempts: int,
        max_event_age: Duration,
        on_failure: lambda_.IDestination | None = None,
        role_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=LOG_RETENTIONS[LOG_RETENTION_DAYS], removal_policy=RemovalPolicy.DESTROY
        )
        # A name only where another account's trust names the role (an organization's member role).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
            role_name=role_name,
        )
        # Written out instead of the AWSLambdaBasicExecutionRole managed policy: this log group only.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )
        layer_arn = settings.powertools_layer_arn or ssm.StringParameter.value_for_string_parameter(
            self, POWERTOOLS_LAYER_PARAMETER
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(LAMBDA_ROOT), exclude=ASSET_EXCLUDES),
            layers=[lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)],
            memory_size=LAMBDA_MEMORY_MB,
            timeout=timeout,
            # Asynchronous invocation (how EventBridge invokes): Lambda's own retries and how old an event may be
            # before Lambda drops it, and where an event goes when both are spent (an AWS::Lambda::EventInvokeConfig).
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_failure=on_failure,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            # Lambda traces 1 request per second and 5% more, not configurable ("You can't configure the X-Ray
            # sampling rate for your functions", Lambda developer guide): at one poll a minute, every poll is a
            # trace at $5 per million, more than all else an idle month costs. So tracing is asked for.
            tracing=lambda_.Tracing.ACTIVE if settings.tracing else lambda_.Tracing.DISABLED,
            environment={
                **environment,
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                **({} if settings.tracing else {"POWERTOOLS_TRACE_DISABLED": "true"}),
            },
        )
        self._star_resources_acknowledged = False
        if settings.tracing:
            self.acknowledge_star_resources()

    def acknowledge_star_resources(self) -> None:
        if self._star_resources_acknowledged:
            return
        self._star_resources_acknowledged = True
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments and PutTelemetryRecords (tracing), Personalize's List... "
                "actions (discovery, a solution's new versions), Step Functions' SendTaskSuccess, "
                "SendTaskFailure and SendTaskHeartbeat (a waiting task: the call names its token) and CloudWatch's "
                "GetMetricData (the requests campaigns and recommenders answered) take no resource ARN.",
            )
        )

    def allow_describing_jobs(self) -> None:
        """Describe actions of every registered kind, on this account's jobs and resources of that kind, in any
        region (a solution and its versions share the resource type `solution`)."""
        stack = Stack.of(self)
        kinds = sorted(KINDS.values(), key=lambda kind: kind.name)
        resource_types = sorted({kind.arn_resource_type for kind in kinds})
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeWatchedPersonalizeResources",
                actions=sorted({f"personalize:{kind.described_by}" for kind in kinds}),
                # Any region: the region comes from the ARN. This account's only.
                resources=[
                    stack.format_arn(
                        service="personalize",
                        region="*",
                        account=Aws.ACCOUNT_ID,
                        resource=resource_type,
                        resource_name="*",
                    )
                    for resource_type in resource_types
                ],
            )
        )
        # A literal where the region is known (the core:enablePartitionLiterals flag), else the pseudo parameter.
        partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
        for resource_type in resource_types:
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:personalize:*:"
                    f"<AWS::AccountId>:{resource_type}/*]",
                    reason="Users create Personalize jobs and resources after deploy, in any region: names and "
                    "regions are unknown here. The resource is still this account's of this type only.",
                )
            )

    def allow_reading_solution_metrics(self) -> None:
        """GetSolutionMetrics, on this account's solution versions (ARNs of the resource type `solution`): the
        quality of each version that finishes training. Covered by the acknowledgment of allow_describing_jobs."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTrainedVersionMetrics",
                actions=[f"personalize:{SOLUTION_METRICS_ACTION}"],
                resources=[
                    Stack.of(self).format_arn(
                        service="personalize",
                        region="*",
                        account=Aws.ACCOUNT_ID,
                        resource="solution",
                        resource_name="*",
                    )
                ],
            )
        )

    def allow_listing(self, kinds: Iterable[Kind], also: Iterable[str] = ()) -> None:
        """The List actions of these kinds, and `also` (Personalize's List actions take no resource ARN)."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListPersonalizeJobs",
                actions=sorted(
                    {f"personalize:{kind.listed_by}" for kind in kinds} | {f"personalize:{a}" for a in also}
                ),
                resources=["*"],
            )
        )
        self.acknowledge_star_resources()
