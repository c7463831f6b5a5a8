-- Hourly average temperature, humidity and light per device over the last 24 hours (hours in JST)
-- Runs through the Athena DynamoDB connector catalog and the Glue table typed from the payload
-- contract. The same SQL runs locally in DuckDB after sqlglot transpiles it.
-- An hour bucket holds readings whose "timestamp" (device epoch seconds) falls in it; avg()
-- skips readings that lack a measurement, "readings" counts every reading in the bucket.
-- To look back further, change INTERVAL '24' HOUR.
SELECT
    device_id,
    date_trunc('hour', from_unixtime("timestamp") AT TIME ZONE 'Asia/Tokyo') AS hour_jst,
    count(*) AS readings,
    round(avg(temperature), 2) AS avg_temperature,
    round(avg(humidity), 2) AS avg_humidity,
    round(avg(light), 1) AS avg_light
FROM "${catalog}"."${database}"."${table}"
WHERE "timestamp" >= to_unixtime(current_timestamp - INTERVAL '24' HOUR)
GROUP BY 1, 2
ORDER BY device_id, hour_jst
