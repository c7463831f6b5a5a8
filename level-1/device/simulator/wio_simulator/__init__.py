"""Wio Terminal device simulator: readings over MQTT/mTLS to AWS IoT Core (or local AWS)."""

from .engine import (
    DeviceSpec,
    FleetConfig,
    FleetResult,
    FleetRunner,
    MessageRecord,
    fleet_from_certs,
    run_fleet,
    run_fleet_async,
)
from .estimate import CostEstimate, estimate_cost, monthly_cost_per_device
from .readings import ReadingGenerator

__all__ = [
    "CostEstimate",
    "DeviceSpec",
    "FleetConfig",
    "FleetResult",
    "FleetRunner",
    "MessageRecord",
    "ReadingGenerator",
    "estimate_cost",
    "fleet_from_certs",
    "monthly_cost_per_device",
    "run_fleet",
    "run_fleet_async",
]
