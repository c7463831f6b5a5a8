"""Checks that only real AWS can answer: the crawler really crawls, and Athena really reads
DynamoDB through the connector. Run with `pytest -m aws_only --aws` against a deployed stack."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from it_support import Target, device_items, wait_for

from wio_contract.fields import CONTRACT
from wio_tools.query import run_query

pytestmark = pytest.mark.aws_only

CRAWL_TIMEOUT_S = 15 * 60


def test_connector_catalog_is_registered(target: Target) -> None:
    catalog = target.client("athena").get_data_catalog(Name=target.names.data_catalog)
    assert catalog["DataCatalog"]["Type"] == "LAMBDA"


@pytest.mark.parametrize("form", ["default schema", "glue table"])
def test_readme_query_runs_through_the_connector(
    form: str, target: Target, make_device: Any, connect: Any
) -> None:
    """Both documented forms: the connector's default schema, and the original README's Glue
    names (the contract-typed table) under the connector catalog."""
    creds = make_device(f"athena-{form.split()[0]}")
    ts = int(time.time()) - 60
    with connect(creds) as client:
        reading = {"device_id": creds.thing_name, "timestamp": ts, "temperature": 23.25}
        client.publish(creds.topic, json.dumps(reading))
    assert wait_for(lambda: device_items(target, creds.thing_name), timeout=30)
    names = target.names
    relation = (
        f'"{names.data_catalog}"."default"."{names.table}"'
        if form == "default schema"
        else f'"{names.data_catalog}"."{names.glue_database}"."{names.glue_table}"'
    )
    sql = (
        f'SELECT device_id, "timestamp", temperature, light FROM {relation} '
        f"WHERE device_id = '{creds.thing_name}' LIMIT 10"
    )
    result = run_query(sql, backend="athena", names=names, athena_client=target.client("athena"))
    rows = result.as_dicts()
    assert len(rows) == 1
    assert int(rows[0]["timestamp"]) == ts
    assert float(rows[0]["temperature"]) == 23.25
    if form == "glue table":
        # Typed columns from the contract: a field no item has is NULL, not "column not found".
        assert rows[0]["light"] is None
        assert "bigint" in str(dict(zip(result.columns, result.column_types))["timestamp"])


def test_crawler_catalogues_the_table(target: Target) -> None:
    glue = target.client("glue")
    try:
        glue.start_crawler(Name=target.names.crawler)
    except glue.exceptions.CrawlerRunningException:
        pass

    def finished() -> Any:
        crawler = glue.get_crawler(Name=target.names.crawler)["Crawler"]
        return crawler if crawler["State"] == "READY" else None

    crawler = wait_for(finished, timeout=CRAWL_TIMEOUT_S, interval=15)
    assert crawler, "crawler did not finish"
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    table = glue.get_table(DatabaseName=target.names.glue_database, Name=target.names.glue_table)
    assert table["Table"]["Parameters"]["classification"] == "dynamodb"
    # The crawler (UpdateBehavior=LOG) must leave the contract's table as CDK defined it.
    assert table["Table"]["Parameters"]["sourceTable"] == target.names.table
    columns = table["Table"]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [
        (f.name, f.glue_type) for f in CONTRACT.stored_fields
    ]
