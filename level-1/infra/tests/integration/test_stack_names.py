"""README section 3: the deployed stack answers to the README's names."""

from __future__ import annotations

import pytest
from it_support import Target

from wio_contract import names as output_keys

pytestmark = pytest.mark.integration


def test_cloudformation_stack_exists(target: Target) -> None:
    stack = target.client("cloudformation").describe_stacks(StackName=target.names.stack)
    assert stack["Stacks"][0]["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


def test_dynamodb_table_has_the_readme_key(target: Target) -> None:
    table = target.client("dynamodb").describe_table(TableName=target.names.table)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    assert keys == {"device_id": "HASH", "timestamp": "RANGE"}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types == {"device_id": "S", "timestamp": "N"}


def test_topic_rules_exist_and_read_the_device_topics(target: Target) -> None:
    iot = target.client("iot")
    main = iot.get_topic_rule(ruleName=target.names.topic_rule)["rule"]
    rejected = iot.get_topic_rule(ruleName=target.names.rejected_topic_rule)["rule"]
    assert "FROM 'device/+/data'" in main["sql"]
    assert "FROM 'device/+/data'" in rejected["sql"]
    assert main["awsIotSqlVersion"] == "2016-03-23"
    assert "dynamoDBv2" in main["actions"][0]


def test_glue_crawler_crawls_the_table(target: Target) -> None:
    crawler = target.client("glue").get_crawler(Name=target.names.crawler)["Crawler"]
    assert crawler["DatabaseName"] == target.names.glue_database
    paths = [t["Path"] for t in crawler["Targets"]["DynamoDBTargets"]]
    assert paths == [target.names.table]


def test_athena_workgroup_and_device_policy_exist(target: Target) -> None:
    wg = target.client("athena").get_work_group(WorkGroup=target.names.workgroup)["WorkGroup"]
    assert wg["Configuration"]["EnforceWorkGroupConfiguration"] is True
    policy = target.client("iot").get_policy(policyName=target.names.device_policy)
    assert policy["policyName"] == target.names.device_policy


def test_stack_outputs_name_the_resources(target: Target) -> None:
    outputs = target.outputs
    assert outputs[output_keys.OUTPUT_TABLE] == target.names.table
    assert outputs[output_keys.OUTPUT_RULE] == target.names.topic_rule
    assert outputs[output_keys.OUTPUT_DEVICE_POLICY] == target.names.device_policy
    assert outputs[output_keys.OUTPUT_WORKGROUP] == target.names.workgroup
    assert outputs[output_keys.OUTPUT_ERROR_LOG_GROUP] == target.names.rule_error_log_group
    assert target.names.rejected_queue in outputs[output_keys.OUTPUT_REJECTED_QUEUE_URL]
