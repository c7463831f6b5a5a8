"""Streaming anomaly detector for one (device, field) series, standard library only.

Four kinds of alert (see README.md for the reasoning behind every default):

* ``deviation``: the reading is far from the device's own hour-of-day baseline. The baseline of
  hour ``h`` (UTC) is built from one summary per past (day, hour) slot - the slot's median and
  MAD - over the last ``baseline_days`` days: centre = median of the slot medians, scale =
  sqrt((1.4826 * MAD of slot medians)^2 + (1.4826 * median of slot MADs)^2), i.e. day-to-day
  variation plus within-hour noise. An hour with fewer than ``min_days_per_hour`` slots falls
  back to all slots of all hours (wider: it contains the daily cycle). The scale has a floor
  (``min_scale``, in field units, and ``min_scale_steps`` typical steps) so that a flat history
  does not turn every wobble into an alert. ``deviation_count`` consecutive readings with
  ``|x - centre| / scale >= deviation_z`` are needed.
* ``stuck``: the same value for longer than ``stuck_factor`` times the longest run seen so far
  (at least ``stuck_count`` readings and ``stuck_min_s`` seconds), only for fields that normally
  vary (at least ``stuck_min_changes`` value changes observed).
* ``jump``: the step from the previous reading is ``jump_k`` typical steps (1.4826 * median
  absolute step) or more, and the new value is also unusual for the hour (``jump_min_z``).
* ``silent``: no reading for ``silent_after_s`` seconds (and at least ``silent_interval_factor``
  regular intervals), see :func:`check_silent`.

Every kind is an *incident*: one alert when it starts, none while it lasts, and a new one only
``cooldown_s`` after the previous incident of that kind ended.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any, Sequence

from wio_analytics.model import Alert, Reading

_MAD_TO_SD = 1.4826
_STATE_VERSION = 1


@dataclass
class DetectorConfig:
    """Thresholds. The defaults were fixed on synthetic data (see README.md) before scoring NAB."""

    #: robust z-score (against the hour-of-day baseline) that counts as a deviation
    deviation_z: float = 6.0
    #: consecutive deviating readings needed for a deviation alert
    deviation_count: int = 2
    #: (day, hour) slots kept per hour of day
    baseline_days: int = 14
    #: slots an hour needs before its own baseline is used
    min_days_per_hour: int = 3
    #: slots (over all hours) needed for the global fallback; below this: warm-up, no
    #: deviation or jump alerts
    min_global_slots: int = 24
    #: absolute floor of the baseline scale, in field units (0.5 degC, 0.5 %RH, ...)
    min_scale: float = 0.5
    #: floor of the baseline scale in typical steps between consecutive readings
    min_scale_steps: float = 1.0
    #: a jump is at least this many typical steps ...
    jump_k: float = 10.0
    #: ... and lands at least this robust z-score away from the hour's baseline
    jump_min_z: float = 3.0
    #: steps remembered for the typical step
    step_window: int = 64
    #: steps needed before jump alerts
    min_steps: int = 16
    #: no jump across a gap longer than this many regular intervals
    jump_max_gap_factor: float = 3.0
    #: a run of identical values is "stuck" when it is this many times the longest run seen
    stuck_factor: float = 3.0
    #: and at least this many readings
    stuck_count: int = 6
    #: and spans at least this long
    stuck_min_s: int = 1800
    #: value changes needed before the field counts as one that normally varies
    stuck_min_changes: int = 16
    #: two values closer than this are identical
    stuck_eps: float = 0.0
    #: one incident -> one alert; a new incident of the same kind alerts only this long after
    #: the previous one ended
    cooldown_s: int = 6 * 3600
    #: the project's "silent" rule: no reading for 15 minutes
    silent_after_s: int = 900
    #: and at least this many regular intervals (an hourly device is not silent after 15 min)
    silent_interval_factor: float = 3.0
    #: readings this far ahead of ``now`` are ignored (device clock wrong)
    max_future_s: int = 300
    #: a forward jump of the clock this large must be confirmed by ``clock_confirm`` readings
    clock_jump_s: int = 6 * 3600
    clock_confirm: int = 3

    def __post_init__(self) -> None:
        if self.deviation_z <= 0 or self.jump_k <= 0 or self.min_scale < 0:
            raise ValueError("deviation_z and jump_k must be > 0, min_scale >= 0")
        if self.baseline_days < 1 or self.min_days_per_hour < 1 or self.deviation_count < 1:
            raise ValueError("baseline_days, min_days_per_hour and deviation_count must be >= 1")


@dataclass
class DetectorState:
    """Everything the detector remembers about one (device, field); JSON-serialisable.

    About 4-7 KB as JSON for a series with a full 14-day baseline (see README.md).
    """

    #: newest accepted reading time (epoch s); older readings are ignored
    last_ts: int | None = None
    last_value: float | None = None
    #: recent intervals between readings (s)
    intervals: list[int] = field(default_factory=list)
    #: per hour of day (UTC), [median, MAD] of each past (day, hour) slot, oldest first
    slots: list[list[list[float]]] = field(default_factory=lambda: [[] for _ in range(24)])
    #: the open slot: epoch hour and its values
    cur_hour: int | None = None
    cur: list[float] = field(default_factory=list)
    #: recent absolute steps between consecutive readings
    steps: list[float] = field(default_factory=list)
    #: current run of identical values: length and start
    run_len: int = 0
    run_start: int = 0
    #: lengths of recent completed runs (only runs that did not raise a stuck alert)
    runs: list[int] = field(default_factory=list)
    changes: int = 0
    #: consecutive deviating readings
    dev_n: int = 0
    #: incidents under way, and the last time each kind was alerting
    active: dict[str, bool] = field(default_factory=dict)
    last_alert: dict[str, int] = field(default_factory=dict)
    #: last_ts for which a silent alert was sent (one per silence)
    silent_for: int | None = None
    #: readings held back after a forward clock jump, [ts, value]
    pending: list[list[float]] = field(default_factory=list)
    #: ignored readings by reason: stale (<= last_ts), future, clock
    ignored: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["v"] = _STATE_VERSION
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "DetectorState":
        data: dict[str, Any] = json.loads(text)
        version = data.pop("v", None)
        if version != _STATE_VERSION:
            raise ValueError("unsupported DetectorState version %r" % (version,))
        state = cls()
        for key, value in data.items():
            if hasattr(state, key):
                setattr(state, key, value)
        if len(state.slots) != 24:
            raise ValueError("DetectorState.slots must have 24 hours")
        return state

    # ------------------------------------------------------------------ helpers

    def interval(self) -> float | None:
        """The regular interval between readings (median of the recent ones), or None."""
        return float(median(self.intervals)) if self.intervals else None

    def step_scale(self, config: DetectorConfig) -> float | None:
        if len(self.steps) < config.min_steps:
            return None
        return _MAD_TO_SD * float(median(self.steps))

    def baseline(self, hour: int, config: DetectorConfig) -> tuple[float, float] | None:
        """(centre, scale) for an hour of day, the global fallback, or None during warm-up."""
        own = self.slots[hour]
        if len(own) >= config.min_days_per_hour:
            pool = own
        else:
            pool = [s for h in self.slots for s in h]
            if len(pool) < config.min_global_slots:
                return None
        centres = [s[0] for s in pool]
        centre = float(median(centres))
        between = _MAD_TO_SD * float(median([abs(c - centre) for c in centres]))
        within = _MAD_TO_SD * float(median([s[1] for s in pool]))
        scale = math.sqrt(between * between + within * within)
        floor = config.min_scale
        step = self.step_scale(config)
        if step is not None:
            floor = max(floor, config.min_scale_steps * step)
        return centre, max(scale, floor)


def _r(x: float) -> float:
    """Round for storage: 5 significant digits keep the state small."""
    return float("%.5g" % x)


def _close_slot(state: DetectorState, config: DetectorConfig) -> None:
    if state.cur_hour is None or not state.cur:
        return
    med = float(median(state.cur))
    mad = float(median([abs(v - med) for v in state.cur]))
    slots = state.slots[state.cur_hour % 24]
    slots.append([_r(med), _r(mad)])
    del slots[: max(0, len(slots) - config.baseline_days)]
    state.cur = []


def _push(ring: list[Any], value: Any, size: int) -> None:
    ring.append(value)
    del ring[: max(0, len(ring) - size)]


def _incident(
    state: DetectorState, kind: str, on: bool, ts: int, config: DetectorConfig
) -> bool:
    """Track an incident; True when it starts and may alert (cooldown respected)."""
    was = state.active.get(kind, False)
    state.active[kind] = on
    if not on:
        return False
    last = state.last_alert.get(kind)
    fire = not was and (last is None or ts - last >= config.cooldown_s)
    if fire or was:
        state.last_alert[kind] = ts  # cooldown counts from the end of the incident
    return fire


def _process(
    state: DetectorState, r: Reading, field_name: str, config: DetectorConfig
) -> list[Alert]:
    alerts: list[Alert] = []
    x = float(r.value)
    prev_ts, prev = state.last_ts, state.last_value
    gap = None if prev_ts is None else r.ts - prev_ts
    interval = state.interval()
    if gap is not None and gap > 0:
        _push(state.intervals, gap, 16)

    hour_index = r.ts // 3600
    if state.cur_hour != hour_index:
        _close_slot(state, config)
        state.cur_hour = hour_index
    base = state.baseline(hour_index % 24, config)
    z = 0.0
    if base is not None:
        z = (x - base[0]) / base[1]

    # deviation
    if base is not None and abs(z) >= config.deviation_z:
        state.dev_n += 1
    else:
        state.dev_n = 0
    if _incident(state, "deviation", state.dev_n >= config.deviation_count, r.ts, config):
        assert base is not None
        alerts.append(Alert(r.ts, "deviation", field_name, x, base[0], round(abs(z), 2)))

    # jump
    jumped = False
    step = state.step_scale(config)
    if prev is not None and gap is not None:
        diff = abs(x - prev)
        near = interval is None or gap <= config.jump_max_gap_factor * interval
        if step is not None and near and base is not None:
            scale = max(step, config.min_scale / config.jump_k)
            k = diff / scale
            jumped = k >= config.jump_k and abs(z) >= config.jump_min_z
            if _incident(state, "jump", jumped, r.ts, config):
                alerts.append(Alert(r.ts, "jump", field_name, x, prev, round(k, 2)))
        if near:
            cap = (step or diff) * config.jump_k
            _push(state.steps, _r(min(diff, cap) if step else diff), config.step_window)

    # stuck
    silent_limit = silent_threshold(state, config)
    if prev is not None and abs(x - prev) <= config.stuck_eps and (gap or 0) <= silent_limit:
        state.run_len += 1
    else:
        if prev is not None:
            state.changes += 1
            if state.run_len > 0 and not state.active.get("stuck", False):
                _push(state.runs, state.run_len, 32)
        state.run_len = 1
        state.run_start = r.ts
    varies = state.changes >= config.stuck_min_changes and bool(state.runs)
    stuck = False
    if varies:
        limit = max(config.stuck_count, config.stuck_factor * max(state.runs))
        stuck = state.run_len >= limit and r.ts - state.run_start >= config.stuck_min_s
    if _incident(state, "stuck", stuck, r.ts, config):
        expected = base[0] if base is not None else None
        alerts.append(Alert(r.ts, "stuck", field_name, x, expected, float(state.run_len)))

    # baseline update: clip outliers so that an incident does not poison the baseline
    fed = x
    if base is not None:
        lo, hi = base[0] - config.deviation_z * base[1], base[0] + config.deviation_z * base[1]
        fed = min(max(x, lo), hi)
    if len(state.cur) < 240:
        state.cur.append(_r(fed))

    state.last_ts, state.last_value = r.ts, x
    return alerts


def silent_threshold(state: DetectorState, config: DetectorConfig) -> float:
    """Seconds without a reading after which the device is silent."""
    interval = state.interval()
    limit = float(config.silent_after_s)
    if interval is not None:
        limit = max(limit, config.silent_interval_factor * interval)
    return limit


def _count(state: DetectorState, reason: str) -> None:
    state.ignored[reason] = state.ignored.get(reason, 0) + 1


def detect(
    state: DetectorState,
    readings: Sequence[Reading],
    *,
    field: str,
    now: int,
    config: DetectorConfig = DetectorConfig(),
) -> list[Alert]:
    """Feed new readings of one field; returns the alerts they raise. Mutates ``state``.

    Causal: an alert at a reading depends only on that reading and earlier ones. Readings are
    sorted and de-duplicated by ``ts``; readings at or before ``state.last_ts`` and readings
    more than ``max_future_s`` after ``now`` are ignored (counted in ``state.ignored``). A
    forward jump of more than ``clock_jump_s`` is held back until ``clock_confirm`` readings
    confirm it, so one reading with a wrong clock never poisons the baseline.
    """
    unique: dict[int, Reading] = {}
    for r in readings:
        if not math.isfinite(r.value):
            _count(state, "invalid")
            continue
        unique.setdefault(int(r.ts), r)
    alerts: list[Alert] = []
    for ts in sorted(unique):
        r = unique[ts]
        if state.last_ts is not None and ts <= state.last_ts:
            _count(state, "stale")
            continue
        if ts > now + config.max_future_s:
            _count(state, "future")
            continue
        if state.last_ts is not None and ts - state.last_ts > config.clock_jump_s:
            if state.pending and 0 < ts - state.pending[-1][0] <= config.clock_jump_s:
                state.pending.append([ts, r.value])
            else:
                if state.pending:
                    state.ignored["clock"] = state.ignored.get("clock", 0) + len(state.pending)
                state.pending = [[ts, r.value]]
            if len(state.pending) < config.clock_confirm:
                continue
            held, state.pending = state.pending, []
            state.intervals, state.steps = [], []  # a new regime of timing
            state.run_len = 0
            for pts, pv in held:
                alerts.extend(_process(state, Reading(int(pts), float(pv)), field, config))
            continue
        if state.pending:
            state.ignored["clock"] = state.ignored.get("clock", 0) + len(state.pending)
            state.pending = []
        alerts.extend(_process(state, r, field, config))
    return alerts


def check_silent(
    state: DetectorState, *, now: int, config: DetectorConfig = DetectorConfig()
) -> Alert | None:
    """A "silent" alert when nothing arrived for :func:`silent_threshold` seconds (once per
    silence: it re-arms when a new reading arrives). ``score`` = silence / threshold."""
    if state.last_ts is None or state.silent_for == state.last_ts:
        return None
    quiet = now - state.last_ts
    limit = silent_threshold(state, config)
    if quiet < limit:
        return None
    state.silent_for = state.last_ts
    state.last_alert["silent"] = now
    return Alert(now, "silent", None, None, None, round(quiet / limit, 2))


def rebuild_baseline(
    state: DetectorState,
    history: Sequence[Reading],
    *,
    config: DetectorConfig = DetectorConfig(),
) -> None:
    """Replace the learned parts of ``state`` (hour-of-day slots, typical step, intervals, run
    lengths) with what ``history`` (e.g. the last 14-28 days from the lake) shows.

    Incidents, cooldowns, ``last_ts`` and the open slot are kept. Outliers inside the history
    are summarised by medians, so a past incident barely moves the baseline.
    """
    by_ts: dict[int, float] = {}
    for r in history:
        if math.isfinite(r.value):
            by_ts.setdefault(int(r.ts), float(r.value))
    ordered = sorted(by_ts.items())
    if state.cur_hour is not None:
        ordered = [(t, v) for t, v in ordered if t // 3600 < state.cur_hour]
    if not ordered:
        return
    per_hour: dict[int, list[float]] = {}
    for t, v in ordered:
        per_hour.setdefault(t // 3600, []).append(v)
    slots: list[list[list[float]]] = [[] for _ in range(24)]
    for epoch_hour in sorted(per_hour):
        values = per_hour[epoch_hour]
        med = float(median(values))
        mad = float(median([abs(v - med) for v in values]))
        slots[epoch_hour % 24].append([_r(med), _r(mad)])
    state.slots = [s[-config.baseline_days :] for s in slots]
    intervals = [b[0] - a[0] for a, b in zip(ordered, ordered[1:]) if b[0] > a[0]]
    state.intervals = intervals[-16:]
    interval = float(median(intervals)) if intervals else None
    steps = [
        _r(abs(b[1] - a[1]))
        for a, b in zip(ordered, ordered[1:])
        if interval is None or b[0] - a[0] <= config.jump_max_gap_factor * interval
    ]
    state.steps = steps[-config.step_window :]
    runs: list[int] = []
    run = 1
    changes = 0
    for a, b in zip(ordered, ordered[1:]):
        if abs(b[1] - a[1]) <= config.stuck_eps:
            run += 1
        else:
            changes += 1
            runs.append(run)
            run = 1
    state.runs = runs[-32:]
    state.changes = max(state.changes, changes)
