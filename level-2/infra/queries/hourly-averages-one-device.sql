-- Hourly averages of one device over the last 24 hours (hours in UTC)
-- Reads two partitions only: dt is the UTC day the readings were measured, and the last 24 h
-- lie in yesterday and today. Runs unchanged on Athena (Trino) and on the local emulator's
-- Athena (DuckDB): no from_unixtime/to_unixtime, "timestamp" stays epoch seconds (bigint),
-- and the hour is computed with % (integer / gives a double in DuckDB).
-- The device placeholder becomes a ? parameter in the saved query, a quoted name elsewhere.
SELECT
    device_id,
    "timestamp" - "timestamp" % 3600 AS hour_start,
    TIMESTAMP '1970-01-01 00:00:00' + ("timestamp" - "timestamp" % 3600) * INTERVAL '1' SECOND
        AS hour_utc,
    count(*) AS readings,
    round(avg(temperature), 2) AS avg_temperature,
    round(avg(humidity), 2) AS avg_humidity,
    round(avg(CAST(light AS double)), 1) AS avg_light
FROM "${database}"."${table}"
WHERE dt >= CAST(CAST(current_date - INTERVAL '1' DAY AS DATE) AS VARCHAR)
    AND device_id = ${device_id}
    AND "timestamp" >= date_diff('second', TIMESTAMP '1970-01-01 00:00:00',
        CAST(current_timestamp AS TIMESTAMP)) - 86400
GROUP BY 1, 2, 3
ORDER BY hour_start
