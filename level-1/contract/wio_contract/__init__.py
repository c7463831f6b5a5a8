"""The payload contract of wio-terminal-aws-connect (no AWS or CDK imports).

- ``fields``: the reading's fields, read from ``level-1/schema/sensor-payload.schema.json``;
- ``names``: every resource name and topic, derived from one prefix;
- ``iot_sql``: the IoT rule SQL rendered from the fields;
- ``probes``: the probe messages ``wio-doctor`` and the tests send through the rules.
"""
