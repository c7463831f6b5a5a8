"""CDK constructs of the level-2 analytics stack (``<prefix>-iot-analytics-stack``)."""
