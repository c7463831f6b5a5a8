"""wio-analytics: anomaly detection and forecasts for Wio Terminal sensor readings.

Standard library only, so that it runs inside an AWS Lambda (Python 3.12) without layers.
"""

from wio_analytics.model import Alert, Reading

__all__ = ["Alert", "Reading"]
__version__ = "0.1.0"
