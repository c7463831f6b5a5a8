"""Expected message count and an estimated AWS bill for a simulator run (ap-northeast-1).

Prices are USD list prices for Asia Pacific (Tokyo), first pricing tier, without the free
tier, read 2026-11. They change; check https://aws.amazon.com/iot-core/pricing/ and
https://aws.amazon.com/dynamodb/pricing/on-demand/ before relying on them.

- IoT Core messaging: 1.20 USD per million messages (up to 1 billion/month); a message is
  metered in 5 KB increments (aws.amazon.com/jp/iot-core/pricing/).
- IoT Core connectivity: 0.120 USD per million connection-minutes for Tokyo (same page).
- IoT Core rules engine: 0.15 USD per million rules triggered plus 0.15 USD per million
  actions applied is the us-east-1 price; Tokyo is not verified here, so we use 0.18 (Tokyo's
  messaging price is 20 % above us-east-1's) to stay on the safe side. Both of the stack's
  rules (store and rejected) listen on device/+/data, so each message triggers two rules and
  one action.
- DynamoDB on-demand: 0.715 USD per million write request units (1 WRU per item up to 1 KB),
  after the 2024-11-01 price cut (aws.amazon.com/dynamodb/pricing/on-demand/).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICE_IOT_MESSAGES_PER_MILLION = 1.20
PRICE_IOT_CONNECTION_MINUTES_PER_MILLION = 0.120
PRICE_RULES_TRIGGERED_PER_MILLION = 0.18
PRICE_RULE_ACTIONS_PER_MILLION = 0.18
PRICE_DDB_WRITE_UNITS_PER_MILLION = 0.715
IOT_MESSAGE_METER_BYTES = 5 * 1024
DDB_WRITE_UNIT_BYTES = 1024
PRICES_READ = "2026-11"
#: Rules on device/+/data: the storing rule and the rejected-message rule.
RULES_PER_MESSAGE = 2


@dataclass(frozen=True)
class CostEstimate:
    devices: int
    messages: int
    payload_bytes: int
    connection_minutes: float
    iot_messages_usd: float
    iot_connectivity_usd: float
    rules_usd: float
    dynamodb_usd: float

    @property
    def total_usd(self) -> float:
        return (
            self.iot_messages_usd + self.iot_connectivity_usd + self.rules_usd + self.dynamodb_usd
        )

    def lines(self) -> list[str]:
        return [
            f"expected messages: {self.messages:,} ({self.devices} device(s), "
            f"~{self.payload_bytes} B each)",
            f"estimated AWS cost (ap-northeast-1 list prices read {PRICES_READ}, free tier "
            f"ignored): ${self.total_usd:.4f}",
            f"  IoT messaging ${self.iot_messages_usd:.4f}  connectivity "
            f"${self.iot_connectivity_usd:.6f}  rules+action ${self.rules_usd:.4f}  "
            f"DynamoDB writes ${self.dynamodb_usd:.4f}",
        ]


def estimate_cost(
    devices: int, messages_per_device: int, duration_s: float, payload_bytes: int = 120
) -> CostEstimate:
    """Cost of ``devices`` each publishing ``messages_per_device`` over ``duration_s``."""
    messages = devices * messages_per_device
    metered = messages * max(1, math.ceil(payload_bytes / IOT_MESSAGE_METER_BYTES))
    wru = messages * max(1, math.ceil((payload_bytes + 40) / DDB_WRITE_UNIT_BYTES))
    minutes = devices * max(1.0, math.ceil(duration_s / 60.0))
    return CostEstimate(
        devices=devices,
        messages=messages,
        payload_bytes=payload_bytes,
        connection_minutes=minutes,
        iot_messages_usd=metered / 1e6 * PRICE_IOT_MESSAGES_PER_MILLION,
        iot_connectivity_usd=minutes / 1e6 * PRICE_IOT_CONNECTION_MINUTES_PER_MILLION,
        rules_usd=messages
        / 1e6
        * (RULES_PER_MESSAGE * PRICE_RULES_TRIGGERED_PER_MILLION + PRICE_RULE_ACTIONS_PER_MILLION),
        dynamodb_usd=wru / 1e6 * PRICE_DDB_WRITE_UNITS_PER_MILLION,
    )


def monthly_cost_per_device(interval_s: float, payload_bytes: int = 120) -> CostEstimate:
    """One device publishing every ``interval_s`` for a 30-day month, always connected."""
    month = 30 * 86400
    return estimate_cost(1, int(month / interval_s), month, payload_bytes)
