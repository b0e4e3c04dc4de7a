"""The registry of kinds: everything needed to watch one kind of Personalize job or resource. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What a raw status means for routing; messages still show the raw status."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    DELETED = "deleted"  # a resource deleted as asked: watching ends


@dataclass(frozen=True)
class Kind:
    """One row of the registry: everything needed to watch one kind of Personalize job or resource.

    A job (an export, a training ...) runs once and ends. A resource (a campaign, a recommender ...) lives
    on: ACTIVE is where it rests, until an Update/Start/Stop/Delete call moves it again.
    Operation and field names are botocore's (tests/unit/test_registry.py checks each against the
    service model); statuses are the API's exact strings from its reference.
    """

    name: str  # the `jobKind` message attribute
    label: str  # for people: "Dataset export job"
    arn_resource_type: str  # arn:...:<type>/<name>[/<version>]
    arn_path_parts: int  # 2 for solution versions: solution/<name>/<version id>
    describe_operation: str  # boto3 method name
    describe_arn_parameter: str
    describe_response_key: str
    list_operation: str
    list_response_key: str
    list_filter_parameter: str | None  # what List... narrows by: a dataset, a solution ...; None: nothing
    parent_key: str | None  # the ARN of what it belongs to, in the describe response
    parent_label: str | None
    create_event: str  # the CloudTrail eventName of the Create... call; its response carries the ARN
    success_statuses: frozenset[str]
    failure_statuses: frozenset[str]
    stopped_statuses: frozenset[str] = frozenset()
    output_path: tuple[str, ...] = ()  # where the result lands, in the describe response
    input_path: tuple[str, ...] = ()  # where the input came from
    facts: tuple[tuple[str, str], ...] = ()  # (label, dotted path in the describe response) worth telling
    lives_on: bool = False  # a resource: watched after ACTIVE, woken by what changes it
    update_key: str | None = None  # the latest update's summary in the describe response
    change_events: tuple[str, ...] = ()  # CloudTrail eventNames of the calls that change a resource
    trains_key: str | None = None  # the describe field saying new versions are trained automatically
    serves: bool = False  # answers recommendation requests (and bills for it) while ACTIVE
    minimum_fact: str | None = None  # the fact that is its provisioned minimum (requests per second it bills for)

    @property
    def event_detail_type(self) -> str:
        """EventBridge detail-type: "Personalize Dataset Export Job State Change"."""
        return f"Personalize {self.label.title()} State Change"

    def outcome(self, status: str | None) -> Outcome:
        if status in self.success_statuses:
            return Outcome.SUCCEEDED
        # Documented failures, and any status that says FAILED (the API reference names update statuses
        # CREATE ...; an UPDATE FAILED would still be a failure, not a wait without end). FAILED alone is the
        # data deletion job's, listed.
        if status in self.failure_statuses or (status or "").endswith(" FAILED"):
            return Outcome.FAILED
        if status in self.stopped_statuses:
            return Outcome.STOPPED
        # Unknown strings are statuses too: keep watching until a terminal one arrives.
        return Outcome.IN_PROGRESS

    def is_terminal(self, status: str | None) -> bool:
        """A job's ending, or a status a resource rests in (ACTIVE, CREATE FAILED, INACTIVE)."""
        return self.outcome(status) is not Outcome.IN_PROGRESS

    @property
    def described_by(self) -> str:
        """The IAM action of its Describe... call."""
        return api_name(self.describe_operation)

    @property
    def listed_by(self) -> str:
        """The IAM action of its List... call."""
        return api_name(self.list_operation)


# The campaign fact that makes it follow its solution's latest version (a new ACTIVE version wakes it).
SYNCS_WITH_LATEST = "Syncs with latest solution version"
_CREATED = frozenset({"ACTIVE"})
_CREATE_FAILED = frozenset({"CREATE FAILED"})
_S3_OUTPUT = ("jobOutput", "s3DataDestination", "path")

REGISTRY: tuple[Kind, ...] = (
    Kind(
        name="dataset-export-job",
        label="Dataset export job",
        arn_resource_type="dataset-export-job",
        arn_path_parts=1,
        describe_operation="describe_dataset_export_job",
        describe_arn_parameter="datasetExportJobArn",
        describe_response_key="datasetExportJob",
        list_operation="list_dataset_export_jobs",
        list_response_key="datasetExportJobs",
        list_filter_parameter="datasetArn",
        parent_key="datasetArn",
        parent_label="Dataset",
        create_event="CreateDatasetExportJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        facts=(("Ingestion mode", "ingestionMode"),),
    ),
    Kind(
        name="dataset-import-job",
        label="Dataset import job",
        arn_resource_type="dataset-import-job",
        arn_path_parts=1,
        describe_operation="describe_dataset_import_job",
        describe_arn_parameter="datasetImportJobArn",
        describe_response_key="datasetImportJob",
        list_operation="list_dataset_import_jobs",
        list_response_key="datasetImportJobs",
        list_filter_parameter="datasetArn",
        parent_key="datasetArn",
        parent_label="Dataset",
        create_event="CreateDatasetImportJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        input_path=("dataSource", "dataLocation"),
        facts=(("Import mode", "importMode"),),
    ),
    Kind(
        name="batch-inference-job",
        label="Batch inference job",
        arn_resource_type="batch-inference-job",
        arn_path_parts=1,
        describe_operation="describe_batch_inference_job",
        describe_arn_parameter="batchInferenceJobArn",
        describe_response_key="batchInferenceJob",
        list_operation="list_batch_inference_jobs",
        list_response_key="batchInferenceJobs",
        list_filter_parameter="solutionVersionArn",
        parent_key="solutionVersionArn",
        parent_label="Solution version",
        create_event="CreateBatchInferenceJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        input_path=("jobInput", "s3DataSource", "path"),
        facts=(("Results per item", "numResults"), ("Mode", "batchInferenceJobMode")),
    ),
    Kind(
        name="batch-segment-job",
        label="Batch segment job",
        arn_resource_type="batch-segment-job",
        arn_path_parts=1,
        describe_operation="describe_batch_segment_job",
        describe_arn_parameter="batchSegmentJobArn",
        describe_response_key="batchSegmentJob",
        list_operation="list_batch_segment_jobs",
        list_response_key="batchSegmentJobs",
        list_filter_parameter="solutionVersionArn",
        parent_key="solutionVersionArn",
        parent_label="Solution version",
        create_event="CreateBatchSegmentJob",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        output_path=_S3_OUTPUT,
        input_path=("jobInput", "s3DataSource", "path"),
        facts=(("Users per segment", "numResults"),),
    ),
    Kind(
        name="solution-version",
        label="Solution version",
        arn_resource_type="solution",
        arn_path_parts=2,
        describe_operation="describe_solution_version",
        describe_arn_parameter="solutionVersionArn",
        describe_response_key="solutionVersion",
        list_operation="list_solution_versions",
        list_response_key="solutionVersions",
        list_filter_parameter="solutionArn",
        parent_key="solutionArn",
        parent_label="Solution",
        create_event="CreateSolutionVersion",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        # Training can be stopped: CREATE STOPPING is still in progress, CREATE STOPPED is an ending.
        stopped_statuses=frozenset({"CREATE STOPPED"}),
        facts=(
            ("Training mode", "trainingMode"),
            ("Training type", "trainingType"),
            ("Training hours", "trainingHours"),
        ),
    ),
    Kind(
        name="data-deletion-job",
        label="Data deletion job",
        arn_resource_type="data-deletion-job",
        arn_path_parts=1,
        describe_operation="describe_data_deletion_job",
        describe_arn_parameter="dataDeletionJobArn",
        describe_response_key="dataDeletionJob",
        list_operation="list_data_deletion_jobs",
        list_response_key="dataDeletionJobs",
        list_filter_parameter="datasetGroupArn",
        parent_key="datasetGroupArn",
        parent_label="Dataset group",
        create_event="CreateDataDeletionJob",
        # Its own vocabulary: PENDING > IN_PROGRESS > COMPLETED or FAILED.
        success_statuses=frozenset({"COMPLETED"}),
        failure_statuses=frozenset({"FAILED"}),
        input_path=("dataSource", "dataLocation"),
        facts=(("Records deleted", "numDeleted"),),
    ),
    # Resources. Statuses: botocore's model; update statuses (latest...Update) use the CREATE vocabulary.
    Kind(
        name="campaign",
        label="Campaign",
        arn_resource_type="campaign",
        arn_path_parts=1,
        describe_operation="describe_campaign",
        describe_arn_parameter="campaignArn",
        describe_response_key="campaign",
        list_operation="list_campaigns",
        list_response_key="campaigns",
        list_filter_parameter="solutionArn",
        parent_key="solutionVersionArn",
        parent_label="Solution version",
        create_event="CreateCampaign",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        facts=(
            ("Minimum TPS", "minProvisionedTPS"),
            (SYNCS_WITH_LATEST, "campaignConfig.syncWithLatestSolutionVersion"),
        ),
        lives_on=True,
        update_key="latestCampaignUpdate",
        change_events=("UpdateCampaign", "DeleteCampaign"),
        serves=True,
        minimum_fact="Minimum TPS",
    ),
    Kind(
        name="recommender",
        label="Recommender",
        arn_resource_type="recommender",
        arn_path_parts=1,
        describe_operation="describe_recommender",
        describe_arn_parameter="recommenderArn",
        describe_response_key="recommender",
        list_operation="list_recommenders",
        list_response_key="recommenders",
        list_filter_parameter="datasetGroupArn",
        parent_key="datasetGroupArn",
        parent_label="Dataset group",
        create_event="CreateRecommender",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        stopped_statuses=frozenset({"INACTIVE"}),  # stopped: STOP PENDING > STOP IN_PROGRESS > INACTIVE
        facts=(
            ("Recipe", "recipeArn"),
            ("Minimum requests per second", "recommenderConfig.minRecommendationRequestsPerSecond"),
        ),
        lives_on=True,
        update_key="latestRecommenderUpdate",
        change_events=("UpdateRecommender", "StartRecommender", "StopRecommender", "DeleteRecommender"),
        serves=True,
        minimum_fact="Minimum requests per second",
    ),
    Kind(
        name="solution",
        label="Solution",
        arn_resource_type="solution",
        arn_path_parts=1,
        describe_operation="describe_solution",
        describe_arn_parameter="solutionArn",
        describe_response_key="solution",
        list_operation="list_solutions",
        list_response_key="solutions",
        list_filter_parameter="datasetGroupArn",
        parent_key="datasetGroupArn",
        parent_label="Dataset group",
        create_event="CreateSolution",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        facts=(
            ("Recipe", "recipeArn"),
            ("Automatic training", "performAutoTraining"),
            ("Training schedule", "solutionConfig.autoTrainingConfig.schedulingExpression"),
        ),
        lives_on=True,
        update_key="latestSolutionUpdate",
        change_events=("UpdateSolution", "DeleteSolution"),
        trains_key="performAutoTraining",
    ),
    Kind(
        name="dataset-group",
        label="Dataset group",
        arn_resource_type="dataset-group",
        arn_path_parts=1,
        describe_operation="describe_dataset_group",
        describe_arn_parameter="datasetGroupArn",
        describe_response_key="datasetGroup",
        list_operation="list_dataset_groups",
        list_response_key="datasetGroups",
        list_filter_parameter=None,
        parent_key=None,
        parent_label=None,
        create_event="CreateDatasetGroup",
        success_statuses=_CREATED,
        failure_statuses=_CREATE_FAILED,
        facts=(("Domain", "domain"),),
        lives_on=True,
        change_events=("DeleteDatasetGroup",),  # CREATE PENDING > CREATE IN_PROGRESS > ACTIVE; DELETE PENDING
    ),
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in REGISTRY}
SOLUTION_VERSION = KINDS["solution-version"]  # what automatic training makes, and syncing campaigns follow
# A finished version's offline metrics (notifier.domain.quality): read on its ARN, of the resource type `solution`.
SOLUTION_METRICS_ACTION = "GetSolutionMetrics"


def api_name(operation: str) -> str:
    """boto3's method name to the API's: describe_dataset_export_job -> DescribeDatasetExportJob."""
    return "".join(part.capitalize() for part in operation.split("_"))
