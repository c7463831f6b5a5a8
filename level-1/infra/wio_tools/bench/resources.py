"""CPU time and memory of other processes and of the machine, from Linux ``/proc``."""

from __future__ import annotations

import os
from pathlib import Path


def _clock_ticks() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


def process_cpu_seconds(pid: int) -> float | None:
    """User+system CPU seconds of a process and its waited-for children (Linux /proc)."""
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the ")" field 3 is index 0: utime=14, stime=15, cutime=16, cstime=17.
    ticks = sum(int(fields_[i]) for i in (11, 12, 13, 14))
    return ticks / _clock_ticks()


def process_peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def machine_cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [float(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)
    return sum(values) - idle, sum(values)
