-- Daily min/max/avg of temperature, humidity and light per device (days run 00:00-24:00 JST)
-- Runs through the Athena DynamoDB connector catalog and the Glue table typed from the payload
-- contract. The same SQL runs locally in DuckDB after sqlglot transpiles it.
-- Days are Japan days (Asia/Tokyo, UTC+9): a reading at 23:30 UTC belongs to the next JST day.
-- For UTC days, replace  from_unixtime("timestamp") AT TIME ZONE 'Asia/Tokyo'  with
-- from_unixtime("timestamp")  (Athena's session time zone is UTC).
-- min/max/avg skip readings that lack a measurement; "readings" counts every reading.
SELECT
    device_id,
    CAST(from_unixtime("timestamp") AT TIME ZONE 'Asia/Tokyo' AS DATE) AS day_jst,
    count(*) AS readings,
    min(temperature) AS min_temperature,
    max(temperature) AS max_temperature,
    round(avg(temperature), 2) AS avg_temperature,
    min(humidity) AS min_humidity,
    max(humidity) AS max_humidity,
    round(avg(humidity), 2) AS avg_humidity,
    min(light) AS min_light,
    max(light) AS max_light,
    round(avg(light), 1) AS avg_light
FROM "${catalog}"."${database}"."${table}"
GROUP BY 1, 2
ORDER BY device_id, day_jst
