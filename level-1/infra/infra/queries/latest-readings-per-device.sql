-- Latest reading of every device (times in JST)
-- Runs through the Athena DynamoDB connector catalog and the Glue table typed from the payload
-- contract. The same SQL runs locally in DuckDB after sqlglot transpiles it.
-- Times: "timestamp" is the device's epoch seconds (UTC); shown as Japan time (Asia/Tokyo).
SELECT
    device_id,
    "timestamp",
    from_unixtime("timestamp") AT TIME ZONE 'Asia/Tokyo' AS measured_at_jst,
    temperature,
    humidity,
    light
FROM (
    SELECT
        device_id,
        "timestamp",
        temperature,
        humidity,
        light,
        row_number() OVER (PARTITION BY device_id ORDER BY "timestamp" DESC) AS rn
    FROM "${catalog}"."${database}"."${table}"
) AS ranked
WHERE rn = 1
ORDER BY device_id
