"""One Python Lambda function with its own role and log group (no managed policies)."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from analytics_infra.bundle import SCHEMA_IN_BUNDLE
from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_12
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class PythonFunction(Construct):
    """``function``, ``role`` and ``log_group`` of one handler in the shared bundle."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        timeout: cdk.Duration = cdk.Duration.minutes(1),
        memory_size: int = 256,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            description=description,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        self.log_group = logs.LogGroup(
            self, "LogGroup", retention=LOG_RETENTION, removal_policy=removal_policy
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            code=code,
            handler=handler,
            role=self.role,
            timeout=timeout,
            memory_size=memory_size,
            log_group=self.log_group,
            environment={"WIO_SCHEMA_PATH": SCHEMA_IN_BUNDLE, **environment},
        )
        # CDK makes the function depend on the role and its policy; the role is already
        # referenced (GetAtt), so keep only the policy (cfn-lint W3005).
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        function_cfn = self.function.node.default_child
        assert isinstance(policy, cdk.CfnResource) and isinstance(function_cfn, cdk.CfnResource)
        function_cfn.add_override("DependsOn", [cdk.Stack.of(self).get_logical_id(policy)])
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            reason=(
                "Python 3.12 on purpose: the code is tested with 3.11 (the emulator's runtime) "
                "and 3.12; a newer runtime is a separate, tested upgrade."
            ),
        )

    def depend_on_policy(self, resource: Construct) -> None:
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            resource.node.add_dependency(policy)


class Schedule(Construct):
    """An EventBridge Scheduler schedule that invokes one function, with its own role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        expression: str,
        target: lambda_.IFunction,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            description=f"EventBridge Scheduler {name}: invokes one function",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            ),
        )
        # The unqualified function only (grant_invoke would add every version, ``:*``).
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTarget",
                actions=["lambda:InvokeFunction"],
                resources=[target.function_arn],
            )
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            name=name,
            description=description,
            schedule_expression=expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=target.function_arn,
                role_arn=self.role.role_arn,
                input="{}",
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=0, maximum_event_age_in_seconds=300
                ),
            ),
        )
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            self.schedule.node.add_dependency(policy)
