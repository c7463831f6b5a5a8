"""Analytics: Glue Data Catalog, crawler, Athena workgroup and the DynamoDB connector.

Athena cannot read a DynamoDB table on its own: a crawler's ``classification=dynamodb``
table is only extra schema for the **Athena DynamoDB connector** (a Lambda function from the
Serverless Application Repository, with the spill bucket). This construct deploys that
connector, registers it as the data catalog ``<prefix>-athena-catalog-dynamodb`` and saves
the named queries, which read ``"<catalog>"."default"."<table>"``.

The Glue database's ``LocationUri`` carries ``dynamo-db-flag``: the connector only uses Glue
databases with that marker as supplemental metadata.

The crawler's default schedule ``cron(0 2 * * ? *)`` is 02:00 UTC, i.e. 11:00 JST.

With ``quicksight_principal_arn`` the construct adds a QuickSight Athena data source and the
managed policy ``<prefix>-quicksight-athena-access`` on QuickSight's service role: QuickSight
runs Athena queries as that role, and a federated query needs the caller to invoke the
connector and use the results and spill buckets (see ``_add_quicksight``).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_quicksight as quicksight
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sam as sam
from constructs import Construct

from wio_contract.names import (
    QUICKSIGHT_SERVICE_ROLE,
    QUICKSIGHT_SERVICE_ROLE_PATH,
    ResourceNames,
)
from infra.nag import acknowledge
from infra.queries import load_named_queries
from wio_contract.fields import CONTRACT, Contract

DEFAULT_CRAWLER_SCHEDULE = "cron(0 2 * * ? *)"  # 02:00 UTC = 11:00 JST
CONNECTOR_MARKER_LOCATION = "dynamo-db-flag"
CONNECTOR_APPLICATION_ID = (
    "arn:aws:serverlessrepo:us-east-1:292517598671:applications/AthenaDynamoDBConnector"
)
CONNECTOR_SEMANTIC_VERSION = "2026.33.1"
CONNECTOR_LAMBDA_TIMEOUT_SECONDS = 900
CONNECTOR_LAMBDA_MEMORY_MB = 3008
ATHENA_ENGINE_VERSION = "Athena engine version 3"
#: Athena's smallest allowed per-query cutoff is 10 MB.
MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024
NAMED_QUERY_DATABASE = "default"
QUICKSIGHT_DATA_SOURCE_ACTIONS = [
    "quicksight:DeleteDataSource",
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:UpdateDataSourcePermissions",
]
# What a principal needs to run a federated query and read its results (Athena User Guide,
# "Allow access to Athena Federated Query: Example policies",
# https://docs.aws.amazon.com/athena/latest/ug/federated-query-iam-access.html). The Athena
# API calls come from AWSQuicksightAthenaAccess, which QuickSight attaches to its role when
# Athena is ticked in "Security & permissions" (https://docs.aws.amazon.com/aws-managed-policy/
# latest/reference/AWSQuicksightAthenaAccess.html). No Glue actions: the connector reads the
# Glue table with its own role. No KMS actions: both buckets use SSE-S3 and the connector
# encrypts spill data with keys it makes itself (no KMSKeyId is configured).
QUICKSIGHT_INVOKE_ACTIONS = ["lambda:InvokeFunction"]
QUICKSIGHT_RESULTS_ACTIONS = [
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucketMultipartUploads",
]
QUICKSIGHT_SPILL_ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]


@dataclass(frozen=True)
class ConnectorSettings:
    """Where the DynamoDB connector spills and how its Lambda function is sized."""

    spill_bucket: s3.IBucket
    spill_prefix: str
    lambda_timeout_seconds: int = CONNECTOR_LAMBDA_TIMEOUT_SECONDS
    lambda_memory_mb: int = CONNECTOR_LAMBDA_MEMORY_MB
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH


class SensorAnalytics(Construct):
    """Glue database and crawler, Athena workgroup, and (optionally) the connector.

    ``connector=None`` leaves out the connector, its data catalog and the named queries
    (the local emulator cannot run them). ``named_queries`` only applies with a connector,
    because the queries read through its catalog. ``quicksight_service_role`` is the name
    (path ``/service-role/``) of the role the QuickSight policy is attached to.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        table_name: str,
        results_bucket: s3.IBucket,
        results_prefix: str,
        bytes_scanned_cutoff: int,
        crawler_schedule: str | None = DEFAULT_CRAWLER_SCHEDULE,
        connector: ConnectorSettings | None = None,
        named_queries: bool = True,
        quicksight_principal_arn: str | None = None,
        quicksight_service_role: str = QUICKSIGHT_SERVICE_ROLE,
        contract: Contract = CONTRACT,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        if bytes_scanned_cutoff < MIN_BYTES_SCANNED_CUTOFF:
            raise ValueError(f"bytes_scanned_cutoff must be at least {MIN_BYTES_SCANNED_CUTOFF}")
        self.names = names

        # --- Glue Data Catalog -------------------------------------------------------------
        self.database_name = names.glue_database
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=names.glue_database,
                description="Wio Terminal sensor data (DynamoDB), crawled by Glue",
                # The Athena DynamoDB connector uses only Glue databases whose LocationUri
                # contains this marker as supplemental metadata.
                location_uri=CONNECTOR_MARKER_LOCATION,
            ),
        )

        # --- The table the connector reads, typed from the contract ------------------------
        self.glue_table_name = names.glue_table
        self.glue_table = glue.CfnTable(
            self,
            "SensorTable",
            catalog_id=cdk.Aws.ACCOUNT_ID,
            database_name=names.glue_database,
            table_input=glue.CfnTable.TableInputProperty(
                name=names.glue_table,
                description=f"DynamoDB table {names.table}, columns from the payload contract",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "dynamodb",
                    # The connector maps this Glue table to the real (hyphenated) table name.
                    "sourceTable": table_name,
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=(
                        f"arn:{cdk.Aws.PARTITION}:dynamodb:{cdk.Aws.REGION}:"
                        f"{cdk.Aws.ACCOUNT_ID}:table/{table_name}"
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=glue_type, comment=comment)
                        for name, glue_type, comment in contract.glue_columns()
                    ],
                ),
            ),
        )
        self.glue_table.node.add_dependency(self.database)

        # --- Crawler -----------------------------------------------------------------------
        # No aws:SourceAccount condition: AWS documents none for Glue assuming a crawler role.
        self.crawler_role = iam.Role(
            self,
            "CrawlerRole",
            description=f"Glue crawler {names.crawler}: reads {names.table} into the catalog",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSGlueServiceRole")
            ],
        )
        acknowledge(
            self.crawler_role,
            (
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AWSGlueServiceRole]"
            ),
            reason=(
                "AWS documents AWSGlueServiceRole as the crawler's Data Catalog and "
                "CloudWatch Logs permissions (Glue 'Crawler prerequisites'); its exact "
                "catalog calls are undocumented, so a hand-written subset could break the "
                "crawler. Data access is granted separately: DescribeTable and Scan on "
                "this stack's table only."
            ),
        )

        schedule = (
            glue.CfnCrawler.ScheduleProperty(schedule_expression=crawler_schedule)
            if crawler_schedule
            else None
        )
        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            name=names.crawler,
            description=("Catalogs the sensor table; default schedule 02:00 UTC (11:00 JST) daily"),
            role=self.crawler_role.role_arn,
            database_name=names.glue_database,
            targets=glue.CfnCrawler.TargetsProperty(
                dynamo_db_targets=[
                    # Sampling (scanAll=false) keeps the daily crawl's read cost small.
                    glue.CfnCrawler.DynamoDBTargetProperty(path=table_name, scan_all=False)
                ]
            ),
            schedule=schedule,
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                # The contract owns the table: the crawler only logs schema drift.
                update_behavior="LOG",
                # Never drop catalog tables when the source looks gone; just log it.
                delete_behavior="LOG",
            ),
        )
        self.crawler.node.add_dependency(self.glue_table)
        acknowledge(
            self.crawler,
            "AwsSolutions-GL1",
            reason=(
                "The crawler's CloudWatch logs hold only table and column names, no "
                "sensor values; encrypting them would need a customer-managed KMS key "
                "(a fixed monthly cost) in a stack built for a few hobby devices."
            ),
        )

        # --- Athena workgroup ----------------------------------------------------------------
        self.workgroup_name = names.workgroup
        self.results_location = f"s3://{results_bucket.bucket_name}/{results_prefix}/"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=names.workgroup,
            description="Wio Terminal sensor queries (through the DynamoDB connector)",
            state="ENABLED",
            # Lets `cdk destroy` delete the workgroup even when it has saved queries/history.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ATHENA_ENGINE_VERSION
                ),
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                    expected_bucket_owner=cdk.Aws.ACCOUNT_ID,
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal_policy)

        # --- DynamoDB connector + data catalog ------------------------------------------------
        self.connector_role: iam.Role | None = None
        self.connector_application: sam.CfnApplication | None = None
        self.connector_log_group: logs.LogGroup | None = None
        self.data_catalog: athena.CfnDataCatalog | None = None
        self.data_catalog_name: str | None = None
        self.connector_function_arn: str | None = None
        self.named_queries: list[athena.CfnNamedQuery] = []
        self.quicksight_data_source: quicksight.CfnDataSource | None = None
        self.quicksight_policy: iam.ManagedPolicy | None = None
        self.quicksight_role: iam.IRole | None = None
        self.results_bucket = results_bucket
        self.results_prefix = results_prefix
        self.connector_settings = connector

        if connector is not None:
            self._add_connector(connector, removal_policy=removal_policy)
            if named_queries:
                # Plain names (not tokens), so the saved SQL reads as it does in the README.
                self._add_named_queries()

        if quicksight_principal_arn:
            self._add_quicksight(quicksight_principal_arn, service_role=quicksight_service_role)

    def _glue_arn(self, resource: str) -> str:
        return f"arn:{cdk.Aws.PARTITION}:glue:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{resource}"

    def _add_connector(
        self,
        settings: ConnectorSettings,
        *,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        names = self.names
        function_name = names.data_catalog  # the SAR app names its Lambda after the catalog
        self.data_catalog_name = names.data_catalog
        self.connector_function_arn = (
            f"arn:{cdk.Aws.PARTITION}:lambda:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
            f":function:{function_name}"
        )

        # The function's log group, created here so it gets a retention and is deleted
        # with the stack; the role may write only to it.
        self.connector_log_group = logs.LogGroup(
            self,
            "ConnectorLogGroup",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=settings.log_retention,
            removal_policy=removal_policy,
        )
        # The stack grants table read and spill-bucket access; catalog, workgroup and
        # log permissions are granted here on this construct's own resources.
        role = iam.Role(
            self,
            "ConnectorRole",
            description=f"Athena DynamoDB connector {function_name}: reads {names.table}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.connector_role = role
        self.connector_log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadConnectorGlueMetadata",
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetTableVersion",
                    "glue:GetTableVersions",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                ],
                resources=[
                    self._glue_arn("catalog"),
                    self._glue_arn(f"database/{names.glue_database}"),
                    self._glue_arn("database/default"),
                    self._glue_arn(f"table/{names.glue_database}/*"),
                    self._glue_arn("table/default/*"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListGlueDatabases",
                actions=["glue:GetDatabases"],
                resources=[self._glue_arn("catalog"), self._glue_arn("database/*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="CheckQueryState",
                actions=["athena:GetQueryExecution"],
                resources=[
                    f"arn:{cdk.Aws.PARTITION}:athena:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
                    f":workgroup/{names.workgroup}"
                ],
            )
        )
        for applies_to, reason in (
            (
                f"Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:"
                f"table/{names.glue_database}/*",
                "Read-only Glue metadata of the tables the crawler creates in this stack's "
                "database; their names are chosen by the crawler.",
            ),
            (
                "Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:"
                "table/default/*",
                "The connector looks up an optional Glue table of the same name in the "
                "'default' database for every table queried through its 'default' schema.",
            ),
            (
                "Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:database/*",
                "glue:GetDatabases (listing schemas in the Athena console) is authorised on "
                "every database it returns; it exposes database names only, no data.",
            ),
        ):
            acknowledge(role, f"AwsSolutions-IAM5[{applies_to}]", reason=reason)

        self.connector_application = sam.CfnApplication(
            self,
            "DynamoDBConnector",
            location=sam.CfnApplication.ApplicationLocationProperty(
                application_id=CONNECTOR_APPLICATION_ID,
                semantic_version=CONNECTOR_SEMANTIC_VERSION,
            ),
            parameters={
                "AthenaCatalogName": function_name,
                "SpillBucket": settings.spill_bucket.bucket_name,
                "SpillPrefix": settings.spill_prefix,
                "LambdaTimeout": str(settings.lambda_timeout_seconds),
                "LambdaMemory": str(settings.lambda_memory_mb),
                "DisableSpillEncryption": "false",
                "LambdaRole": role.role_arn,
            },
        )
        # The function must not start before its log group exists (the stack adds the
        # dependency on the role's policy once it has granted it).
        self.connector_application.node.add_dependency(self.connector_log_group)

        self.data_catalog = athena.CfnDataCatalog(
            self,
            "DataCatalog",
            name=names.data_catalog,
            type="LAMBDA",
            description=f"Athena DynamoDB connector over {names.table}",
            parameters={"function": self.connector_function_arn},
        )
        self.data_catalog.node.add_dependency(self.connector_application)

    def _add_named_queries(self) -> None:
        assert self.data_catalog is not None and self.data_catalog_name is not None
        for query in load_named_queries(names=self.names):
            named_query = athena.CfnNamedQuery(
                self,
                f"NamedQuery-{query.name}",
                name=query.name,
                description=query.description[:1024],
                database=NAMED_QUERY_DATABASE,
                query_string=query.sql,
                work_group=self.workgroup_name,
            )
            named_query.node.add_dependency(self.workgroup)
            named_query.node.add_dependency(self.data_catalog)
            self.named_queries.append(named_query)

    def _add_quicksight(self, principal_arn: str, *, service_role: str) -> None:
        names = self.names
        self.quicksight_data_source = quicksight.CfnDataSource(
            self,
            "QuickSightDataSource",
            aws_account_id=cdk.Aws.ACCOUNT_ID,
            data_source_id=names.quicksight_data_source,
            name=f"{names.prefix} sensor data (Athena {names.workgroup})",
            type="ATHENA",
            data_source_parameters=quicksight.CfnDataSource.DataSourceParametersProperty(
                athena_parameters=quicksight.CfnDataSource.AthenaParametersProperty(
                    work_group=names.workgroup
                )
            ),
            ssl_properties=quicksight.CfnDataSource.SslPropertiesProperty(disable_ssl=False),
            permissions=[
                quicksight.CfnDataSource.ResourcePermissionProperty(
                    principal=principal_arn, actions=QUICKSIGHT_DATA_SOURCE_ACTIONS
                )
            ],
        )
        self.quicksight_data_source.node.add_dependency(self.workgroup)
        self._add_quicksight_policy(service_role)

    def _add_quicksight_policy(self, service_role: str) -> None:
        """Least privilege for QuickSight's role on this stack's federated-query path."""
        names = self.names
        # QuickSight owns the role; importing it (mutable) lets CDK attach by role name.
        self.quicksight_role = iam.Role.from_role_arn(
            self,
            "QuickSightServiceRole",
            f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role"
            f"{QUICKSIGHT_SERVICE_ROLE_PATH}{service_role}",
            mutable=True,
        )
        results = self.results_bucket
        statements = [
            iam.PolicyStatement(
                sid="AthenaQueryResults",
                actions=QUICKSIGHT_RESULTS_ACTIONS,
                resources=[results.bucket_arn, results.arn_for_objects(f"{self.results_prefix}/*")],
            )
        ]
        wildcards = [(results, f"{self.results_prefix}/*", "Athena writes each query's results")]
        settings = self.connector_settings
        if settings is not None and self.connector_function_arn is not None:
            spill = settings.spill_bucket
            statements += [
                iam.PolicyStatement(
                    sid="InvokeDynamoDBConnector",
                    actions=QUICKSIGHT_INVOKE_ACTIONS,
                    resources=[self.connector_function_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadConnectorSpill",
                    actions=QUICKSIGHT_SPILL_ACTIONS,
                    resources=[
                        spill.bucket_arn,
                        spill.arn_for_objects(f"{settings.spill_prefix}/*"),
                    ],
                ),
            ]
            wildcards.append((spill, f"{settings.spill_prefix}/*", "The connector spills"))
        self.quicksight_policy = iam.ManagedPolicy(
            self,
            "QuickSightPolicy",
            managed_policy_name=names.quicksight_policy,
            description=(
                f"QuickSight: query {names.table} through the Athena connector "
                f"{names.data_catalog} (workgroup {names.workgroup})"
            ),
            statements=statements,
            roles=[self.quicksight_role],
        )
        for bucket, suffix, what in wildcards:
            acknowledge(
                self.quicksight_policy,
                f"AwsSolutions-IAM5[Resource::{self._arn_pattern(bucket)}/{suffix}]",
                reason=(
                    f"{what} to objects named per query under this prefix; access is limited "
                    "to that prefix of this stack's bucket."
                ),
            )

    @staticmethod
    def _arn_pattern(bucket: s3.IBucket) -> str:
        """A bucket ARN as cdk-nag prints it: ``<LogicalId.Arn>`` for a bucket of this app."""
        child = bucket.node.default_child
        if isinstance(child, cdk.CfnElement):
            return f"<{cdk.Stack.of(child).get_logical_id(child)}.Arn>"
        return bucket.bucket_arn
