"""Monitoring: alarms on the ingest path and a CloudWatch dashboard.

Alarms (all ``treat_missing_data=NOT_BREACHING``; a quiet system is a healthy one):

* rule action failures and error-action failures of both IoT rules. AWS IoT publishes
  ``Failure`` / ``ErrorActionFailure`` per ``(ActionType, RuleName)``; the alarms use a
  CloudWatch Metrics Insights query per rule so every action type is covered;
* messages throttled by the main rule (``RuleMessageThrottled``);
* JSON parse errors of either rule (``ParseError``: a payload that is not JSON);
* unhandled messages (AWS only, metric math): ``TopicMatch`` counts every message on the
  topic whatever the WHERE says, so ``TopicMatch - stored - rejected`` (each counted as the
  action's ``Success + Failure``: DynamoDBv2 for the main rule, SQS for the rejected rule) is
  what neither rule took. It must stay 0; see ``wio_contract.iot_sql`` for why it might not;
* rejected messages waiting in the dead-letter queue;
* DynamoDB ``SystemErrors`` and ``ThrottledRequests`` on ``PutItem`` (the only call the rule
  makes). DynamoDB's ``UserErrors`` metric is account-wide (no table dimension), so a
  rejected write shows up as a rule action failure instead.

``metrics_insights_alarms=False`` (the local emulator, which rejects metric-math alarms)
watches the ``RuleName``-only series of those metrics instead.

``alarm_email`` subscribes an address to an SNS topic that every alarm notifies.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from wio_contract.names import ResourceNames

PERIOD = cdk.Duration.minutes(5)
#: The action whose success means "stored", and the one that means "rejected".
STORE_ACTION_TYPE = "DynamoDBv2"
REJECT_ACTION_TYPE = "SQS"
GREATER_OR_EQUAL = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def rule_metric_query(metric_name: str, rule_name: str) -> str:
    """Metrics Insights query summing an IoT rule-action metric over every action type."""
    return (
        f'SELECT SUM({metric_name}) FROM SCHEMA("AWS/IoT", ActionType, RuleName) '
        f"WHERE RuleName = '{rule_name}'"
    )


class SensorMonitoring(Construct):
    """Alarms and a dashboard for the rules, the table and the dead-letter queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        table: dynamodb.ITable,
        rejected_queue: sqs.IQueue,
        rule_name: str,
        rejected_rule_name: str,
        alarm_email: str | None = None,
        metrics_insights_alarms: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarm_topic: sns.Topic | None = None
        if alarm_email:
            self.alarm_topic = sns.Topic(
                self,
                "AlarmTopic",
                topic_name=f"{names.prefix}-sns-alarms",
                display_name=f"{names.prefix} IoT monitoring alarms",
                enforce_ssl=True,
            )
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

        # Alarm metrics carry no label: a labelled metric is rendered in the alarm's
        # ``Metrics`` (math) form, which the local emulator rejects.
        topic_match = self._iot_metric("TopicMatch", rule_name)
        stored = self._iot_metric("Success", rule_name, STORE_ACTION_TYPE)
        store_failed = self._iot_metric("Failure", rule_name, STORE_ACTION_TYPE)
        rejected = self._iot_metric("Success", rejected_rule_name, REJECT_ACTION_TYPE)
        reject_failed = self._iot_metric("Failure", rejected_rule_name, REJECT_ACTION_TYPE)
        throttled = self._iot_metric("RuleMessageThrottled", rule_name)
        parse_errors = self._iot_metric("ParseError", rule_name)
        rejected_parse_errors = self._iot_metric("ParseError", rejected_rule_name)
        self.unhandled: cloudwatch.MathExpression | None = None
        if metrics_insights_alarms:
            self.unhandled = cloudwatch.MathExpression(
                expression="FILL(m, 0) - FILL(s, 0) - FILL(sf, 0) - FILL(r, 0) - FILL(rf, 0)",
                using_metrics={
                    "m": topic_match,
                    "s": stored,
                    "sf": store_failed,
                    "r": rejected,
                    "rf": reject_failed,
                },
                period=PERIOD,
                label="unhandled (neither rule)",
            )

        def failures(metric_name: str, rule: str) -> cloudwatch.IMetric:
            if metrics_insights_alarms:
                return cloudwatch.MathExpression(
                    expression=rule_metric_query(metric_name, rule), period=PERIOD
                )
            return self._iot_metric(metric_name, rule)

        action_failures = failures("Failure", rule_name)
        error_action_failures = failures("ErrorActionFailure", rule_name)
        rejected_action_failures = failures("Failure", rejected_rule_name)
        rejected_error_action_failures = failures("ErrorActionFailure", rejected_rule_name)
        put_item = {"TableName": table.table_name, "Operation": "PutItem"}
        system_errors = table.metric(
            "SystemErrors", dimensions_map=put_item, statistic="Sum", period=PERIOD
        )
        throttles = table.metric(
            "ThrottledRequests", dimensions_map=put_item, statistic="Sum", period=PERIOD
        )
        dlq_depth = rejected_queue.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic="Maximum"
        )
        put_requests = table.metric(
            "SuccessfulRequestLatency",
            dimensions_map=put_item,
            statistic="SampleCount",
            period=PERIOD,
        )
        write_units = table.metric_consumed_write_capacity_units(period=PERIOD, statistic="Sum")

        alarm_specs: list[tuple[str, str, cloudwatch.IMetric, str]] = [
            ("RuleActionFailure", "rule-action-failures", action_failures,
             f"{rule_name}: an action (DynamoDB write) failed; see the rule error log group"),
            ("RuleErrorActionFailure", "rule-error-action-failures", error_action_failures,
             f"{rule_name}: the error action itself failed; messages may be lost"),
            ("RejectedRuleActionFailure", "rejected-rule-action-failures",
             rejected_action_failures,
             f"{rejected_rule_name}: sending a rejected message to SQS or the log failed"),
            ("RejectedRuleErrorActionFailure", "rejected-rule-error-action-failures",
             rejected_error_action_failures,
             f"{rejected_rule_name}: the error action itself failed; messages may be lost"),
            ("RuleThrottled", "rule-throttled", throttled,
             f"{rule_name}: AWS IoT throttled messages"),
            ("RuleParseErrors", "rule-parse-errors", parse_errors,
             f"{rule_name}: payloads that are not JSON; see the rule error log group"),
            ("RejectedRuleParseErrors", "rejected-rule-parse-errors", rejected_parse_errors,
             f"{rejected_rule_name}: payloads that are not JSON reached neither rule"),
            ("RejectedMessages", "rejected-messages", dlq_depth,
             "Devices sent messages the rule refused; inspect the dead-letter queue"),
            ("TableSystemErrors", "dynamodb-system-errors", system_errors,
             f"{names.table}: DynamoDB returned system errors on PutItem"),
            ("TableThrottles", "dynamodb-throttles", throttles,
             f"{names.table}: DynamoDB throttled PutItem requests"),
        ]  # fmt: skip
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for construct_name, suffix, metric, description in alarm_specs:
            self._add_alarm(construct_name, names, suffix, metric, description)
        if self.unhandled is not None:
            # 2 of 3 periods: a message counted by TopicMatch at the end of one period and by
            # its action at the start of the next must not page anyone.
            self._add_alarm(
                "UnhandledMessages",
                names,
                "unhandled-messages",
                self.unhandled,
                "Messages on device/+/data that neither rule stored nor rejected; run "
                "`uv run wio-doctor --aws` to see which kinds of message vanish",
                evaluation_periods=3,
                datapoints_to_alarm=2,
            )

        def labelled(metric: cloudwatch.IMetric, label: str) -> cloudwatch.IMetric:
            if isinstance(metric, (cloudwatch.Metric, cloudwatch.MathExpression)):
                return metric.with_(label=label)
            return metric

        self.dashboard_name = f"{names.prefix}-cloudwatch-dashboard-sensor"
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.dashboard_name,
            default_interval=cdk.Duration.days(1),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Messages in (IoT rules)",
                left=[
                    labelled(topic_match, "messages on device/+/data"),
                    labelled(stored, "stored (DynamoDB writes)"),
                    labelled(rejected, "rejected (sent to the queue)"),
                    labelled(parse_errors, "not JSON (parse errors)"),
                    *([self.unhandled] if self.unhandled is not None else []),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Rule failures",
                left=[
                    labelled(action_failures, "action failures"),
                    labelled(error_action_failures, "error-action failures"),
                    labelled(rejected_action_failures, "rejected-rule action failures"),
                    labelled(rejected_error_action_failures, "rejected-rule error-action failures"),
                    labelled(throttled, "messages throttled"),
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=f"Table writes ({names.table})",
                left=[
                    labelled(write_units, "write units consumed"),
                    labelled(put_requests, "PutItem requests"),
                ],
                right=[
                    labelled(system_errors, "PutItem system errors"),
                    labelled(throttles, "PutItem throttled"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Rejected messages (dead-letter queue)",
                left=[labelled(dlq_depth, "rejected messages waiting")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms.values()), width=24
            )
        )

    def _add_alarm(
        self,
        construct_name: str,
        names: ResourceNames,
        suffix: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_name,
            alarm_name=f"{names.prefix}-alarm-{suffix}",
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator=GREATER_OR_EQUAL,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self.alarm_topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        self.alarms[construct_name] = alarm

    @staticmethod
    def _iot_metric(
        metric_name: str, rule_name: str, action_type: str | None = None
    ) -> cloudwatch.Metric:
        dimensions = {"RuleName": rule_name}
        if action_type is not None:
            dimensions["ActionType"] = action_type
        return cloudwatch.Metric(
            namespace="AWS/IoT",
            metric_name=metric_name,
            dimensions_map=dimensions,
            statistic="Sum",
            period=PERIOD,
        )
