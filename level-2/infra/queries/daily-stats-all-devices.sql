-- Daily min/max/avg of every device over the last 30 days (UTC days)
-- dt is the UTC day of the measurement, so the day is the partition itself and the query
-- reads exactly 30 partitions. Runs unchanged on Athena (Trino) and on the local emulator's
-- Athena (DuckDB). min/max/avg skip readings that lack a measurement.
SELECT
    device_id,
    dt AS day_utc,
    count(*) AS readings,
    min(temperature) AS min_temperature,
    max(temperature) AS max_temperature,
    round(avg(temperature), 2) AS avg_temperature,
    min(humidity) AS min_humidity,
    max(humidity) AS max_humidity,
    round(avg(humidity), 2) AS avg_humidity,
    min(light) AS min_light,
    max(light) AS max_light,
    round(avg(CAST(light AS double)), 1) AS avg_light
FROM "${database}"."${table}"
WHERE dt >= CAST(CAST(current_date - INTERVAL '29' DAY AS DATE) AS VARCHAR)
GROUP BY device_id, dt
ORDER BY device_id, day_utc
