-- Devices whose latest reading is more than 15 minutes old (last seen in JST)
-- Runs through the Athena DynamoDB connector catalog and the Glue table typed from the payload
-- contract. The same SQL runs locally in DuckDB after sqlglot transpiles it.
-- The threshold is the literal INTERVAL '15' MINUTE in the HAVING clause: change 15 to the
-- number of minutes you want (for example INTERVAL '60' MINUTE). "timestamp" is the device's
-- own clock (NTP); a device that never sent anything is not in the table, so not listed.
SELECT
    device_id,
    from_unixtime(max("timestamp")) AT TIME ZONE 'Asia/Tokyo' AS last_seen_jst,
    CAST(floor((to_unixtime(current_timestamp) - max("timestamp")) / 60) AS BIGINT)
        AS minutes_silent
FROM "${catalog}"."${database}"."${table}"
GROUP BY device_id
HAVING max("timestamp") < to_unixtime(current_timestamp - INTERVAL '15' MINUTE)
ORDER BY minutes_silent DESC, device_id
