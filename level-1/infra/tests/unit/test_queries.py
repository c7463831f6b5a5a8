"""The named Athena queries, their loader, and the query tool ``wio-query``.

Fast and offline: DynamoDB is moto's ``mock_aws`` (ap-northeast-1), Athena is a botocore Stubber,
the local backend is the real DuckDB + sqlglot path. No CDK synth, no MiniStack.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot
from botocore.stub import ANY, Stubber
from moto import mock_aws
from sqlglot import exp
from sqlglot.errors import ErrorLevel

import infra.queries as queries_module
from wio_contract.names import ResourceNames
from infra.queries import NamedQueryError, NamedQuerySql, load_named_queries, load_named_query
from wio_tools import query as wq
from wio_tools.environment import AwsEnvironment

pytestmark = pytest.mark.unit

NAMES = ResourceNames()
REGION = "ap-northeast-1"
QUERY_NAMES = [
    "daily-stats-per-device",
    "hourly-averages-per-device",
    "latest-readings-per-device",
    "silent-devices",
]
UTC = dt.timezone.utc


def _epoch(text: str) -> int:
    """Epoch seconds of an ISO-8601 UTC time."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _jst(text: str) -> dt.datetime:
    """A naive JST wall-clock time, as DuckDB's ``AT TIME ZONE 'Asia/Tokyo'`` returns it."""
    return dt.datetime.fromisoformat(text)


# 2025-06-15 03:00:00 UTC = 12:00 JST.
NOW = dt.datetime(2025, 6, 15, 3, 0, 0, tzinfo=UTC)

# (device, UTC time, temperature, humidity, light, extra attributes); None = attribute absent.
READINGS: list[tuple[str, str, float | None, float | None, int | None, dict[str, Any]]] = [
    # wio-a: 14:30Z and 15:30Z share a UTC day but not a JST day (23:30 / 00:30 JST).
    ("wio-a", "2025-06-14T14:30:00", 20.0, 50.0, 100, {}),
    ("wio-a", "2025-06-14T15:30:00", 22.0, 60.0, 300, {}),
    ("wio-a", "2025-06-15T02:10:00", 24.0, 55.0, 500, {}),
    ("wio-a", "2025-06-15T02:50:00", 26.0, None, 700, {"rssi": -60, "seq": 4}),
    # wio-b: one second before and exactly at the 24-hour window's start.
    ("wio-b", "2025-06-14T02:59:59", 18.5, 40.0, 50, {}),
    ("wio-b", "2025-06-14T03:00:00", 17.0, 41.0, 10, {}),
    ("wio-b", "2025-06-15T02:20:00", 19.5, 45.0, None, {"firmware": "1.2.0"}),
    ("wio-b", "2025-06-15T02:40:00", 20.5, 47.0, 80, {}),
    # wio-c: silent for 4 hours.
    ("wio-c", "2025-06-14T23:00:00", 30.0, 70.0, 1023, {}),
    # wio-d: last reading exactly 15 minutes before NOW, so not (yet) silent.
    ("wio-d", "2025-06-15T02:45:00", 21.0, None, None, {}),
]


def _item(
    device: str,
    when: str,
    temperature: float | None,
    humidity: float | None,
    light: int | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    ts = _epoch(when)
    item: dict[str, Any] = {
        "device_id": {"S": device},
        "timestamp": {"N": str(ts)},
        "received_at": {"N": str(ts * 1000 + 250)},
    }
    for key, value in (("temperature", temperature), ("humidity", humidity), ("light", light)):
        if value is not None:
            item[key] = {"N": str(value)}
    for key, value in extra.items():
        item[key] = {"S": value} if isinstance(value, str) else {"N": str(value)}
    return item


def _create_table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "device_id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "device_id", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _moto_client() -> Any:
    session = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    # An explicit AWS endpoint, so a developer's AWS_ENDPOINT_URL cannot route around moto.
    return session.client("dynamodb", endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com")


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    """moto DynamoDB with the sensor table holding READINGS."""
    with mock_aws():
        client = _moto_client()
        _create_table(client, NAMES.table)
        for reading in READINGS:
            client.put_item(TableName=NAMES.table, Item=_item(*reading))
        yield client


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no custom endpoint, for code that builds its own session."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_ATHENA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _named(name: str, dynamodb: Any, now: dt.datetime | None = NOW) -> wq.QueryResult:
    return wq.run_named(name, backend="local", names=NAMES, dynamodb_client=dynamodb, now=now)


# --------------------------------------------------------------------------------------------
# The .sql files and their loader


def test_every_query_file_is_loaded_in_name_order() -> None:
    loaded = load_named_queries(names=NAMES)
    assert [q.name for q in loaded] == QUERY_NAMES
    assert queries_module.query_names() == QUERY_NAMES
    for query in loaded:
        assert isinstance(query, NamedQuerySql)
        assert query.description and not query.description.startswith("-")
        assert not query.sql.endswith(";")


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_parses_as_athena_and_reads_the_connector_catalog(name: str) -> None:
    query = load_named_query(name, names=NAMES)
    tree = sqlglot.parse_one(query.sql, read="athena")
    assert isinstance(tree, exp.Select)
    tables = {(t.catalog, t.db, t.name) for t in tree.find_all(exp.Table)}
    assert tables == {(NAMES.data_catalog, NAMES.glue_database, NAMES.glue_table)}
    # "timestamp" is reserved in Trino: every use is a quoted identifier.
    stamps = [c for c in tree.find_all(exp.Column) if c.name == "timestamp"]
    assert stamps and all(c.this.quoted for c in stamps)
    # Trino (Athena engine v3) and DuckDB can both express it.
    sqlglot.transpile(query.sql, read="athena", write="trino", unsupported_level=ErrorLevel.RAISE)
    wq.to_duckdb_sql(query.sql, names=NAMES)


def test_file_text_keeps_placeholders_and_first_line_description() -> None:
    for path in queries_module.query_files():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("-- ")
        assert '"${catalog}"."${database}"."${table}"' in text
        assert "attempt" not in text  # names come only from the placeholders


def test_loader_substitutes_catalog_and_table() -> None:
    names = ResourceNames("demo")
    for query in load_named_queries(names=names):
        expected = '"demo-athena-catalog-dynamodb"."demo-glue-database-sensor"'
        assert f'{expected}."demo_dynamodb_sensor_data"' in query.sql
        assert "${" not in query.sql and "attempt" not in query.sql


def test_silent_devices_threshold_is_a_documented_literal() -> None:
    sql = load_named_query("silent-devices", names=NAMES).sql
    assert "INTERVAL '15' MINUTE" in sql
    assert "change 15" in sql


def test_daily_and_hourly_use_japan_time() -> None:
    for name in ("daily-stats-per-device", "hourly-averages-per-device"):
        assert "AT TIME ZONE 'Asia/Tokyo'" in load_named_query(name, names=NAMES).sql


def test_unknown_query_name_lists_the_known_ones() -> None:
    with pytest.raises(NamedQueryError, match="latest-readings-per-device"):
        load_named_query("nope", names=NAMES)


def test_loader_rejects_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries_module, "QUERY_DIR", tmp_path)
    (tmp_path / "ok-query.sql").write_text("-- Fine\nSELECT 1 FROM ${database}.${table};\n")
    sql = f"-- Fine\nSELECT 1 FROM {NAMES.glue_database}.{NAMES.glue_table}"
    assert load_named_queries(names=NAMES) == [
        NamedQuerySql(name="ok-query", description="Fine", sql=sql)
    ]
    (tmp_path / "bad-placeholder.sql").write_text("-- Bad\nSELECT ${nope}\n")
    with pytest.raises(NamedQueryError, match="placeholder"):
        load_named_queries(names=NAMES)
    (tmp_path / "bad-placeholder.sql").unlink()
    (tmp_path / "no-description.sql").write_text("SELECT 1\n")
    with pytest.raises(NamedQueryError, match="first line"):
        load_named_queries(names=NAMES)
    (tmp_path / "no-description.sql").unlink()
    (tmp_path / "Not_Kebab.sql").write_text("-- x\nSELECT 1\n")
    with pytest.raises(NamedQueryError, match="kebab"):
        load_named_queries(names=NAMES)


# --------------------------------------------------------------------------------------------
# Named-query results on the local backend (moto DynamoDB -> DuckDB), hand-computed


def test_latest_readings_per_device(dynamodb: Any) -> None:
    result = _named("latest-readings-per-device", dynamodb)
    assert result.backend == "local"
    assert result.columns == [
        "device_id",
        "timestamp",
        "measured_at_jst",
        "temperature",
        "humidity",
        "light",
    ]
    assert result.rows == [
        ("wio-a", _epoch("2025-06-15T02:50:00"), _jst("2025-06-15 11:50:00"), 26.0, None, 700),
        ("wio-b", _epoch("2025-06-15T02:40:00"), _jst("2025-06-15 11:40:00"), 20.5, 47.0, 80),
        ("wio-c", _epoch("2025-06-14T23:00:00"), _jst("2025-06-15 08:00:00"), 30.0, 70.0, 1023),
        ("wio-d", _epoch("2025-06-15T02:45:00"), _jst("2025-06-15 11:45:00"), 21.0, None, None),
    ]


def test_hourly_averages_cover_the_last_24_hours_in_jst(dynamodb: Any) -> None:
    result = _named("hourly-averages-per-device", dynamodb)
    assert result.columns == [
        "device_id",
        "hour_jst",
        "readings",
        "avg_temperature",
        "avg_humidity",
        "avg_light",
    ]
    assert result.rows == [
        ("wio-a", _jst("2025-06-14 23:00:00"), 1, 20.0, 50.0, 100.0),
        ("wio-a", _jst("2025-06-15 00:00:00"), 1, 22.0, 60.0, 300.0),
        ("wio-a", _jst("2025-06-15 11:00:00"), 2, 25.0, 55.0, 600.0),
        # 02:59:59Z is one second outside the window; 03:00:00Z is its first second.
        ("wio-b", _jst("2025-06-14 12:00:00"), 1, 17.0, 41.0, 10.0),
        ("wio-b", _jst("2025-06-15 11:00:00"), 2, 20.0, 46.0, 80.0),
        ("wio-c", _jst("2025-06-15 08:00:00"), 1, 30.0, 70.0, 1023.0),
        ("wio-d", _jst("2025-06-15 11:00:00"), 1, 21.0, None, None),
    ]


def test_daily_stats_use_jst_day_boundaries(dynamodb: Any) -> None:
    result = _named("daily-stats-per-device", dynamodb)
    assert result.columns[:3] == ["device_id", "day_jst", "readings"]
    d14, d15 = dt.date(2025, 6, 14), dt.date(2025, 6, 15)
    # (device, day, readings, t min/max/avg, h min/max/avg, light min/max/avg)
    assert result.rows == [
        ("wio-a", d14, 1, 20.0, 20.0, 20.0, 50.0, 50.0, 50.0, 100, 100, 100.0),
        ("wio-a", d15, 3, 22.0, 26.0, 24.0, 55.0, 60.0, 57.5, 300, 700, 500.0),
        ("wio-b", d14, 2, 17.0, 18.5, 17.75, 40.0, 41.0, 40.5, 10, 50, 30.0),
        ("wio-b", d15, 2, 19.5, 20.5, 20.0, 45.0, 47.0, 46.0, 80, 80, 80.0),
        ("wio-c", d15, 1, 30.0, 30.0, 30.0, 70.0, 70.0, 70.0, 1023, 1023, 1023.0),
        ("wio-d", d15, 1, 21.0, 21.0, 21.0, None, None, None, None, None, None),
    ]


def test_silent_devices_with_a_frozen_now(dynamodb: Any) -> None:
    result = _named("silent-devices", dynamodb)
    assert result.columns == ["device_id", "last_seen_jst", "minutes_silent"]
    # wio-d is exactly 15 minutes old: not silent. wio-a is 10 minutes old.
    assert result.rows == [
        ("wio-c", _jst("2025-06-15 08:00:00"), 240),
        ("wio-b", _jst("2025-06-15 11:40:00"), 20),
    ]


def test_silent_devices_against_the_real_clock() -> None:
    now = int(time.time())
    items = [
        {"device_id": "quiet", "timestamp": decimal.Decimal(now - 3600)},
        {"device_id": "chatty", "timestamp": decimal.Decimal(now - 60)},
    ]
    sql = load_named_query("silent-devices", names=NAMES).sql
    result = wq.run_local(sql, names=NAMES, items=items)
    assert [row[0] for row in result.rows] == ["quiet"]
    assert result.rows[0][2] in (60, 61)


def test_frozen_now_replaces_current_timestamp_only_on_the_local_backend() -> None:
    duck = wq.to_duckdb_sql("SELECT current_timestamp, now(), current_date", names=NAMES, now=NOW)
    assert "CURRENT_TIMESTAMP" not in duck.upper()
    assert "2025-06-15T03:00:00+00:00" in duck
    with pytest.raises(wq.QueryError, match="time zone"):
        wq.to_duckdb_sql("SELECT 1", names=NAMES, now=dt.datetime(2025, 1, 1))
    with pytest.raises(wq.QueryError, match="local backend"):
        wq.run_query(
            "SELECT 1", backend="athena", names=NAMES, now=NOW, athena_client=_athena_client()
        )


def test_local_table_types_and_extra_attributes(dynamodb: Any) -> None:
    result = wq.run_query(
        'SELECT * FROM "attempt-dynamodb-sensor-data" ORDER BY device_id, "timestamp"',
        backend="local",
        names=NAMES,
        dynamodb_client=dynamodb,
    )
    types = dict(zip(result.columns, result.column_types))
    assert types == {
        "device_id": "VARCHAR",
        "timestamp": "BIGINT",
        "temperature": "DOUBLE",
        "humidity": "DOUBLE",
        "light": "BIGINT",
        "rssi": "BIGINT",
        "seq": "BIGINT",
        "received_at": "BIGINT",
        "expires_at": "BIGINT",
        "raw_payload": "VARCHAR",
        "firmware": "VARCHAR",
    }
    rows = result.as_dicts()
    assert len(rows) == len(READINGS)
    fourth = rows[3]
    assert fourth["rssi"] == -60 and fourth["seq"] == 4 and fourth["humidity"] is None
    assert fourth["received_at"] == _epoch("2025-06-15T02:50:00") * 1000 + 250
    assert [r["firmware"] for r in rows].count("1.2.0") == 1


def test_load_items_types_and_bad_values() -> None:
    con = wq.connect_duckdb()
    items = [
        {"device_id": "x", "timestamp": decimal.Decimal("1700000000"), "light": "12"},
        {"device_id": "x", "timestamp": decimal.Decimal(1), "light": True, "score": 1},
        {"device_id": "x", "timestamp": decimal.Decimal(2), "score": "high", "ratio": 0.5},
        {"device_id": "x", "timestamp": decimal.Decimal(3), "meta": {"a": [1, 2]}},
    ]
    types = wq.load_items(con, items)
    assert types["score"] == "VARCHAR"  # mixed number/string
    assert types["ratio"] == "DOUBLE"
    assert types["meta"] == "VARCHAR"
    rows = con.execute(
        f'SELECT light, score, ratio, meta FROM {wq.LOCAL_RELATION} ORDER BY "timestamp"'
    ).fetchall()
    assert rows == [
        (None, "1", None, None),
        (None, "high", 0.5, None),
        (None, None, None, '{"a": [1, 2]}'),
        (12, None, None, None),
    ]
    wq.load_items(con, [])
    assert con.execute(f"SELECT count(*) FROM {wq.LOCAL_RELATION}").fetchone() == (0,)


def test_missing_table_says_to_deploy(dynamodb: Any) -> None:
    absent = ResourceNames("nothere")
    with pytest.raises(wq.TableNotFound, match="make -C level-1 up"):
        wq.run_named(
            "latest-readings-per-device", backend="local", names=absent, dynamodb_client=dynamodb
        )
    with pytest.raises(wq.TableNotFound, match="stack not deployed"):
        wq.latest_readings("wio-a", names=absent, dynamodb_client=dynamodb)


# --------------------------------------------------------------------------------------------
# Time zones: Athena's from_unixtime is UTC-based; DuckDB's session zone must be forced to UTC


def test_duckdb_connection_is_utc() -> None:
    con = wq.connect_duckdb()
    assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    duck = wq.to_duckdb_sql("SELECT CAST(from_unixtime(86399) AS DATE)", names=NAMES)
    assert con.execute(duck).fetchone() == (dt.date(1970, 1, 1),)
    # The same instant in JST, as the named queries compute it.
    duck = wq.to_duckdb_sql(
        "SELECT CAST(from_unixtime(86399) AT TIME ZONE 'Asia/Tokyo' AS DATE)", names=NAMES
    )
    assert con.execute(duck).fetchone() == (dt.date(1970, 1, 2),)


def test_local_results_do_not_depend_on_the_machine_time_zone(tmp_path: Path) -> None:
    # Without SET TimeZone='UTC', DuckDB would take the process zone (TZ) for TIMESTAMPTZ.
    script = tmp_path / "tz.py"
    script.write_text(
        "import duckdb, json\n"
        "from wio_contract.names import ResourceNames\n"
        "from wio_tools import query as wq\n"
        "raw = duckdb.connect().execute('SELECT CAST(TO_TIMESTAMP(0) AS DATE)').fetchone()[0]\n"
        'r = wq.run_local(\'SELECT CAST(from_unixtime("timestamp") AS DATE) AS d FROM '
        '"attempt-dynamodb-sensor-data"\', names=ResourceNames(),'
        " items=[{'device_id': 'x', 'timestamp': 0}])\n"
        "print(json.dumps([str(raw), str(r.rows[0][0])]))\n"
    )
    env = dict(os.environ, TZ="America/Los_Angeles")
    out = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
    )
    raw, ours = json.loads(out.stdout)
    assert raw == "1969-12-31"  # the hazard is real on this machine
    assert ours == "1970-01-01"


def test_athena_timestamp_values_are_typed_with_their_zone() -> None:
    tokyo = wq.convert_athena_value(
        "2025-06-15 11:50:00.000 Asia/Tokyo", "timestamp(3) with time zone"
    )
    assert isinstance(tokyo, dt.datetime)
    assert tokyo == dt.datetime(2025, 6, 15, 2, 50, tzinfo=UTC)
    assert tokyo.replace(tzinfo=None) == _jst("2025-06-15 11:50:00")
    utc = wq.convert_athena_value("1970-01-01 00:00:00.000 UTC", "timestamp with time zone")
    assert utc == dt.datetime(1970, 1, 1, tzinfo=UTC)
    offset = wq.convert_athena_value("2025-01-01 09:00:00.000 +09:00", "timestamp with time zone")
    assert offset == dt.datetime(2025, 1, 1, tzinfo=UTC)
    naive = wq.convert_athena_value("2025-06-15 11:00:00.000", "timestamp")
    assert naive == dt.datetime(2025, 6, 15, 11)


# --------------------------------------------------------------------------------------------
# Table references: every name form resolves to the local relation

TABLE_FORMS = [
    '"attempt-athena-catalog-dynamodb"."default"."attempt-dynamodb-sensor-data"',
    '"default"."attempt-dynamodb-sensor-data"',
    '"attempt-dynamodb-sensor-data"',
    '"attempt-glue-database-sensor"."attempt_dynamodb_sensor_data"',
    'awsdatacatalog."attempt-glue-database-sensor".attempt_dynamodb_sensor_data',
    '"AwsDataCatalog"."attempt-glue-database-sensor"."attempt_dynamodb_sensor_data"',
    '"attempt-athena-catalog-dynamodb"."attempt-glue-database-sensor".'
    '"attempt_dynamodb_sensor_data"',
    "attempt_dynamodb_sensor_data",
    '"ATTEMPT-DYNAMODB-SENSOR-DATA"',
]


@pytest.mark.parametrize("form", TABLE_FORMS)
def test_every_table_name_form_reads_the_local_items(form: str, dynamodb: Any) -> None:
    result = wq.run_query(
        f"SELECT count(*) AS n FROM {form}", backend="local", names=NAMES, dynamodb_client=dynamodb
    )
    assert result.rows == [(len(READINGS),)]
    assert wq.LOCAL_RELATION in (result.sql or "")


def test_aliases_qualified_columns_joins_and_ctes(dynamodb: Any) -> None:
    sql = """
        WITH recent AS (
            SELECT device_id, "timestamp" FROM "attempt-dynamodb-sensor-data"
            WHERE "timestamp" >= 1749945600
        )
        SELECT s.device_id, count(*) AS n, max("attempt_dynamodb_sensor_data".light) AS top
        FROM "attempt-glue-database-sensor"."attempt_dynamodb_sensor_data" AS s
        JOIN recent ON recent.device_id = s.device_id AND recent."timestamp" = s."timestamp"
        CROSS JOIN (SELECT 1 AS one) AS k
        JOIN "attempt-glue-database-sensor"."attempt_dynamodb_sensor_data"
          ON "attempt_dynamodb_sensor_data".device_id = s.device_id
         AND "attempt_dynamodb_sensor_data"."timestamp" = s."timestamp"
        GROUP BY s.device_id
        ORDER BY s.device_id
    """
    result = wq.run_query(sql, backend="local", names=NAMES, dynamodb_client=dynamodb)
    # 1749945600 = 2025-06-15 00:00Z: wio-a 2 readings, wio-b 2, wio-d 1.
    assert result.rows == [("wio-a", 2, 700), ("wio-b", 2, 80), ("wio-d", 1, None)]


def test_unknown_tables_are_refused() -> None:
    with pytest.raises(wq.QueryError, match="knows only the sensor table"):
        wq.to_duckdb_sql('SELECT * FROM "other"."default"."elsewhere"', names=NAMES)
    with pytest.raises(wq.QueryError, match="knows only the sensor table"):
        wq.to_duckdb_sql(
            'SELECT * FROM "attempt-athena-catalog-dynamodb"."default"."demo-dynamodb-sensor-data"',
            names=NAMES,
        )
    # Another prefix names other tables.
    demo = ResourceNames("demo")
    assert wq.LOCAL_RELATION in wq.to_duckdb_sql(
        'SELECT * FROM "demo-athena-catalog-dynamodb"."default"."demo-dynamodb-sensor-data"',
        names=demo,
    )


def test_sql_errors_are_query_errors() -> None:
    with pytest.raises(wq.QueryError, match="parse"):
        wq.to_duckdb_sql("SELECT FROM WHERE (", names=NAMES)
    with pytest.raises(wq.QueryError, match="one SQL statement"):
        wq.to_duckdb_sql("SELECT 1; SELECT 2", names=NAMES)
    with pytest.raises(wq.QueryError, match="DuckDB rejected"):
        wq.run_local(
            'SELECT no_such_column FROM "attempt-dynamodb-sensor-data"', names=NAMES, items=[]
        )


# --------------------------------------------------------------------------------------------
# Backend choice


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "athena"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "local"),
        ({"AWS_ENDPOINT_URL": "http://localhost:4566"}, "local"),
        ({"AWS_ENDPOINT_URL": "http://[::1]:4566"}, "local"),
        ({"AWS_ENDPOINT_URL": "http://127.9.9.9:4566"}, "local"),
        # A name is not a place: only loopback addresses and localhost count as local.
        ({"AWS_ENDPOINT_URL": "http://ministack:4566"}, "athena"),
        ({"AWS_ENDPOINT_URL": "https://athena.ap-northeast-1.amazonaws.com"}, "athena"),
        ({"AWS_ENDPOINT_URL": ""}, "athena"),
    ],
)
def test_auto_backend(env: dict[str, str], expected: str) -> None:
    environment = AwsEnvironment.resolve(region="ap-northeast-1", env=env)
    assert wq.resolve_backend("auto", environment) == expected


def test_explicit_backend_wins() -> None:
    local_env = AwsEnvironment.resolve(env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert wq.resolve_backend("athena", local_env) == "athena"
    assert wq.resolve_backend("local", local_env) == "local"
    with pytest.raises(wq.QueryError):
        wq.resolve_backend("bogus", local_env)


# --------------------------------------------------------------------------------------------
# latest: a bounded DynamoDB Query, never a Scan


def test_latest_uses_query_newest_first(dynamodb: Any) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    event = "provide-client-params.dynamodb.*"
    dynamodb.meta.events.register(event, record, unique_id="wio-query-test-spy")
    try:
        result = wq.latest_readings("wio-a", limit=2, names=NAMES, dynamodb_client=dynamodb)
    finally:
        dynamodb.meta.events.unregister(event, unique_id="wio-query-test-spy")
    assert [name for name, _ in calls] == ["Query"]
    params = calls[0][1]
    assert params["ScanIndexForward"] is False
    assert params["Limit"] == 2
    assert params["TableName"] == NAMES.table
    assert result.backend == "dynamodb"
    rows = result.as_dicts()
    assert [r["timestamp"] for r in rows] == [
        _epoch("2025-06-15T02:50:00"),
        _epoch("2025-06-15T02:10:00"),
    ]
    assert rows[0]["measured_at_jst"] == dt.datetime(2025, 6, 15, 2, 50, tzinfo=UTC)
    assert rows[0]["measured_at_jst"].utcoffset() == dt.timedelta(hours=9)
    assert rows[0]["temperature"] == 26.0 and rows[0]["humidity"] is None
    assert rows[0]["rssi"] == -60 and rows[0]["light"] == 700


def test_latest_unknown_device_is_empty(dynamodb: Any) -> None:
    assert wq.latest_readings("nobody", names=NAMES, dynamodb_client=dynamodb).rows == []


def test_latest_follows_pages_until_the_limit() -> None:
    client = boto3.client(
        "dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    key = {"device_id": {"S": "d"}, "timestamp": {"N": "5"}}
    base = {
        "TableName": NAMES.table,
        "KeyConditionExpression": ANY,
        "ExpressionAttributeNames": {"#d": "device_id"},
        "ExpressionAttributeValues": {":d": {"S": "d"}},
        "ScanIndexForward": False,
    }
    with Stubber(client) as stub:
        # A page cut short (1 MB limit) before reaching the limit, then the rest.
        stub.add_response(
            "query",
            {
                "Items": [{"device_id": {"S": "d"}, "timestamp": {"N": "5"}}],
                "LastEvaluatedKey": key,
            },
            {**base, "Limit": 3},
        )
        stub.add_response(
            "query",
            {"Items": [{"device_id": {"S": "d"}, "timestamp": {"N": str(n)}} for n in (4, 3)]},
            {**base, "Limit": 2, "ExclusiveStartKey": key},
        )
        result = wq.latest_readings("d", limit=3, names=NAMES, dynamodb_client=client)
        stub.assert_no_pending_responses()
    assert [row[1] for row in result.rows] == [5, 4, 3]
    with pytest.raises(wq.QueryError, match="at least 1"):
        wq.latest_readings("d", limit=0, names=NAMES, dynamodb_client=client)


# --------------------------------------------------------------------------------------------
# Athena backend (botocore Stubber)


def _athena_client() -> Any:
    return boto3.client(
        "athena", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )


START_PARAMS = {
    "QueryString": "SELECT 1",
    "WorkGroup": NAMES.workgroup,
    "QueryExecutionContext": {"Catalog": NAMES.data_catalog, "Database": "default"},
}


def _state(state: str, **status: Any) -> dict[str, Any]:
    return {
        "QueryExecution": {
            "QueryExecutionId": "qid",
            "StatementType": "DML",
            "Status": {"State": state, **status},
        }
    }


COLUMN_INFO = [
    {"Name": "device_id", "Label": "device_id", "Type": "varchar"},
    {"Name": "n", "Label": "n", "Type": "bigint"},
    {"Name": "avg_t", "Label": "avg_t", "Type": "double"},
    {"Name": "t", "Label": "t", "Type": "decimal", "Precision": 38, "Scale": 9},
    {"Name": "seen", "Label": "seen", "Type": "timestamp(3) with time zone"},
    {"Name": "day_jst", "Label": "day_jst", "Type": "date"},
]


def _row(*values: str | None) -> dict[str, Any]:
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}


def test_athena_polls_with_backoff_and_pages_typed_results() -> None:
    client = _athena_client()
    sleeps: list[float] = []
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        for state in ("QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"):
            stub.add_response("get_query_execution", _state(state), {"QueryExecutionId": "qid"})
        stub.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "ResultSetMetadata": {"ColumnInfo": COLUMN_INFO},
                    "Rows": [
                        _row("device_id", "n", "avg_t", "t", "seen", "day_jst"),
                        _row(
                            "wio-a",
                            "3",
                            "24.5",
                            "26.000000000",
                            "2025-06-15 11:50:00.000 Asia/Tokyo",
                            "2025-06-15",
                        ),
                    ],
                },
                "NextToken": "page2",
            },
            {"QueryExecutionId": "qid", "MaxResults": 1000},
        )
        stub.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "ResultSetMetadata": {"ColumnInfo": COLUMN_INFO},
                    "Rows": [_row("wio-b", "1", None, None, None, None)],
                }
            },
            {"QueryExecutionId": "qid", "MaxResults": 1000, "NextToken": "page2"},
        )
        result = wq.run_query(
            "SELECT 1", backend="athena", names=NAMES, athena_client=client, sleep=sleeps.append
        )
        stub.assert_no_pending_responses()
    assert sleeps == [0.25, 0.5, 1.0]
    assert result.backend == "athena" and result.query_execution_id == "qid"
    assert result.columns == ["device_id", "n", "avg_t", "t", "seen", "day_jst"]
    assert result.rows == [
        (
            "wio-a",
            3,
            24.5,
            decimal.Decimal("26"),
            dt.datetime(2025, 6, 15, 2, 50, tzinfo=UTC),
            dt.date(2025, 6, 15),
        ),
        ("wio-b", 1, None, None, None, None),
    ]


def test_athena_failure_reports_the_reason() -> None:
    client = _athena_client()
    reason = "TABLE_NOT_FOUND: line 1:15: Table 'x' does not exist"
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        stub.add_response(
            "get_query_execution",
            _state(
                "FAILED",
                StateChangeReason=reason,
                AthenaError={"ErrorCategory": 2, "ErrorType": 1301},
            ),
            {"QueryExecutionId": "qid"},
        )
        with pytest.raises(wq.QueryFailed) as failure:
            wq.run_query("SELECT 1", backend="athena", names=NAMES, athena_client=client)
    message = str(failure.value)
    assert "qid failed" in message and reason in message and "1301" in message
    assert "is the stack deployed" in message


def test_athena_failure_without_reason_uses_athena_error_message() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        stub.add_response(
            "get_query_execution",
            _state("FAILED", AthenaError={"ErrorMessage": "Catalog 'c' does not exist"}),
            {"QueryExecutionId": "qid"},
        )
        with pytest.raises(wq.QueryFailed, match="dynamodb_connector=true"):
            wq.run_query("SELECT 1", backend="athena", names=NAMES, athena_client=client)


def test_athena_cancelled() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        stub.add_response(
            "get_query_execution",
            _state("CANCELLED", StateChangeReason="Query cancelled by user"),
            {"QueryExecutionId": "qid"},
        )
        with pytest.raises(wq.QueryCancelled, match="cancelled by user"):
            wq.run_query("SELECT 1", backend="athena", names=NAMES, athena_client=client)


def test_athena_timeout_stops_the_query() -> None:
    client = _athena_client()
    ticks = iter([0.0, 1.0, 2.0, 10.0])
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        for _ in range(3):
            stub.add_response("get_query_execution", _state("RUNNING"), {"QueryExecutionId": "qid"})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "qid"})
        with pytest.raises(wq.QueryTimeout, match="still RUNNING after 5 s"):
            wq.run_athena(
                "SELECT 1",
                names=NAMES,
                athena_client=client,
                poll=wq.PollPolicy(timeout=5.0),
                sleep=lambda _: None,
                clock=lambda: next(ticks),
            )
        stub.assert_no_pending_responses()


def test_athena_refusal_is_a_clear_error() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "start_query_execution",
            service_error_code="InvalidRequestException",
            service_message="WorkGroup attempt-athena-workgroup-sensor is not found.",
        )
        with pytest.raises(wq.QueryError, match="workgroup .*is not found.*cdk deploy"):
            wq.run_query("SELECT 1", backend="athena", names=NAMES, athena_client=client)


def test_athena_utility_statement_keeps_its_first_row() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "qid"}, START_PARAMS)
        execution = _state("SUCCEEDED")
        execution["QueryExecution"]["StatementType"] = "UTILITY"
        stub.add_response("get_query_execution", execution, {"QueryExecutionId": "qid"})
        stub.add_response(
            "get_query_results",
            {
                "ResultSet": {
                    "ResultSetMetadata": {
                        "ColumnInfo": [{"Name": "tab_name", "Label": "tab_name", "Type": "string"}]
                    },
                    "Rows": [_row("attempt-dynamodb-sensor-data")],
                }
            },
            {"QueryExecutionId": "qid", "MaxResults": 1000},
        )
        result = wq.run_query("SELECT 1", backend="athena", names=NAMES, athena_client=client)
    assert result.rows == [("attempt-dynamodb-sensor-data",)]


# --------------------------------------------------------------------------------------------
# Output formats

SAMPLE = wq.QueryResult(
    columns=["device_id", "day", "n", "avg", "note"],
    rows=[
        ("wio-a", dt.date(2025, 6, 15), 3, decimal.Decimal("24.50"), None),
        ("温度計", dt.date(2025, 6, 14), 12, 1.5, 'say "hi", ok'),
    ],
    backend="local",
)


def test_table_format_is_aligned() -> None:
    text = wq.render(SAMPLE, "table")
    assert text.splitlines() == [
        "device_id  day          n    avg  note",
        "---------  ----------  --  -----  ------------",
        "wio-a      2025-06-15   3  24.50  NULL",
        '温度計        2025-06-14  12    1.5  say "hi", ok',
        "(2 rows)",
    ]


def test_csv_format() -> None:
    assert wq.render(SAMPLE, "csv") == (
        "device_id,day,n,avg,note\n"
        "wio-a,2025-06-15,3,24.50,\n"
        '温度計,2025-06-14,12,1.5,"say ""hi"", ok"\n'
    )


def test_json_formats() -> None:
    expected = [
        {"device_id": "wio-a", "day": "2025-06-15", "n": 3, "avg": 24.5, "note": None},
        {"device_id": "温度計", "day": "2025-06-14", "n": 12, "avg": 1.5, "note": 'say "hi", ok'},
    ]
    assert json.loads(wq.render(SAMPLE, "json")) == expected
    lines = wq.render(SAMPLE, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert "温度計" in lines[1]  # not \u-escaped
    with pytest.raises(wq.QueryError):
        wq.render(SAMPLE, "xml")


def test_timestamps_render_as_iso() -> None:
    stamp = dt.datetime(2025, 6, 15, 11, 50, tzinfo=wq.JST)
    result = wq.QueryResult(columns=["t"], rows=[(stamp,)], backend="dynamodb")
    assert "2025-06-15 11:50:00+09:00" in wq.render(result, "table")
    assert json.loads(wq.render(result, "json")) == [{"t": "2025-06-15T11:50:00+09:00"}]


# --------------------------------------------------------------------------------------------
# CLI


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert wq.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in QUERY_NAMES:
        assert name in out


def test_cli_show_prints_both_dialects(capsys: pytest.CaptureFixture[str]) -> None:
    assert wq.main(["show", "silent-devices", "--backend", "local"]) == 0
    out = capsys.readouterr().out
    assert "-- Athena SQL" in out and "from_unixtime" in out
    assert "-- DuckDB SQL" in out and "TO_TIMESTAMP" in out


def test_cli_named_local_table_says_it_is_the_stand_in(
    dynamodb: Any, aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["named", "silent-devices", "--backend", "local", "--now", "2025-06-15T03:00:00Z"]
    assert wq.main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("results from the local DuckDB stand-in for Athena")
    assert lines[1].split() == ["device_id", "last_seen_jst", "minutes_silent"]
    assert lines[3].split() == ["wio-c", "2025-06-15", "08:00:00", "240"]
    assert lines[-1] == "(2 rows)"


def test_cli_csv_keeps_stdout_clean(
    dynamodb: Any, aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--format",
        "csv",
        "sql",
        'SELECT device_id, count(*) AS n FROM "attempt-dynamodb-sensor-data" '
        "GROUP BY device_id ORDER BY device_id",
        "--backend",
        "local",
    ]
    assert wq.main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "device_id,n\nwio-a,4\nwio-b,4\nwio-c,1\nwio-d,1\n"
    assert "local DuckDB stand-in" in captured.err


def test_cli_latest_json(dynamodb: Any, aws_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert wq.main(["latest", "--device-id", "wio-b", "--limit", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    assert rows[0]["device_id"] == "wio-b" and rows[0]["temperature"] == 20.5
    assert rows[0]["measured_at_jst"] == "2025-06-15T11:40:00+09:00"


def test_cli_errors_exit_1(
    dynamodb: Any, aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wq.main(["named", "no-such-query", "--backend", "local"]) == 1
    assert "no named query 'no-such-query'" in capsys.readouterr().err
    assert wq.main(["sql", "SELECT 1", "--backend", "local", "--prefix", "nothere"]) == 1
    assert "stack not deployed? run make -C level-1 up" in capsys.readouterr().err


def test_cli_reads_sql_from_stdin(
    dynamodb: Any,
    aws_env: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT 41 + 1 AS answer"))
    assert wq.main(["sql", "-", "--backend", "local", "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == '{"answer": 42}\n'


def test_unnamed_columns_are_named_like_athena() -> None:
    result = wq.run_local(
        'SELECT count(*), device_id, 1 + 1 AS two, max("timestamp") '
        'FROM "attempt-dynamodb-sensor-data" GROUP BY device_id',
        names=NAMES,
        items=[{"device_id": "x", "timestamp": 7}],
    )
    assert result.columns == ["_col0", "device_id", "two", "_col3"]
    assert result.rows == [(1, "x", 2, 7)]


def test_region_comes_from_argument_env_profile_then_tokyo(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion = eu-central-1\n[profile osaka]\nregion = ap-northeast-3\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    env = {"AWS_REGION": "us-west-2"}
    assert AwsEnvironment.resolve(env=env).region == "us-west-2"
    assert AwsEnvironment.resolve(region="eu-west-1", env=env).region_source == "--region"
    resolved = AwsEnvironment.resolve(env={})
    assert (resolved.region, resolved.region_source) == ("eu-central-1", "profile default")
    assert AwsEnvironment.resolve(env={"AWS_PROFILE": "osaka"}).region == "ap-northeast-3"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    resolved = AwsEnvironment.resolve(env={})
    assert (resolved.region, resolved.region_source) == ("ap-northeast-1", "the project default")
