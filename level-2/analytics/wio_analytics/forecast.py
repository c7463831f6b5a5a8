"""Short-term forecasts of hourly means: additive Holt-Winters with a seasonal-naive check."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

from wio_analytics.model import Reading

#: Hours of history forecast_device needs: three days (two seasons to initialise Holt-Winters,
#: one more to back-test it), with at least MIN_COVERAGE of the hours present.
MIN_HISTORY_HOURS = 72
MIN_COVERAGE = 0.6
#: History used by forecast_device (the most recent hours).
MAX_HISTORY_HOURS = 28 * 24

_ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
_BETAS = (0.0, 0.01, 0.05, 0.15)
_GAMMAS = (0.05, 0.1, 0.2, 0.35, 0.5)


@dataclass
class Forecast:
    """``values[i]`` is the mean expected over ``[start + i*step_s, start + (i+1)*step_s)``."""

    start: int
    step_s: int
    values: list[float]
    mase_vs_seasonal_naive: float | None
    method: str


def hourly_means(readings: Sequence[Reading], *, start: int, hours: int) -> list[float | None]:
    """Mean value of each hour ``[start + i*3600, start + (i+1)*3600)``; None for empty hours."""
    sums = [0.0] * hours
    counts = [0] * hours
    seen: set[int] = set()
    for r in readings:
        if r.ts in seen:
            continue
        seen.add(r.ts)
        i = (r.ts - start) // 3600
        if 0 <= i < hours:
            sums[i] += r.value
            counts[i] += 1
    return [s / c if c else None for s, c in zip(sums, counts)]


def impute(series: Sequence[float | None], *, season: int = 24) -> list[float]:
    """Fill gaps: the value one season earlier when there is one, otherwise linear
    interpolation between the nearest known neighbours (or the nearest one at the edges)."""
    known = [i for i, v in enumerate(series) if v is not None]
    if not known:
        raise ValueError("series has no values")
    out: list[float | None] = list(series)
    for i, v in enumerate(out):
        if v is None and i >= season and out[i - season] is not None:
            out[i] = out[i - season]
    for i, v in enumerate(out):
        if v is not None:
            continue
        left = max((k for k in known if k < i), default=None)
        right = min((k for k in known if k > i), default=None)
        if left is None:
            out[i] = series[right]  # type: ignore[index]
        elif right is None:
            out[i] = series[left]
        else:
            lv, rv = series[left], series[right]
            assert lv is not None and rv is not None
            out[i] = lv + (rv - lv) * (i - left) / (right - left)
    return [float(v) for v in out if v is not None]


def _hw_run(
    y: Sequence[float], season: int, alpha: float, beta: float, gamma: float, horizon: int
) -> tuple[float, list[float]]:
    """One-step-ahead SSE over y[season:] and the forecast after the end of y."""
    level = sum(y[:season]) / season
    if len(y) >= 2 * season:
        trend = (sum(y[season : 2 * season]) - sum(y[:season])) / (season * season)
    else:
        trend = 0.0
    seas = [v - level for v in y[:season]]
    sse = 0.0
    for t in range(season, len(y)):
        s = seas[t % season]
        err = y[t] - (level + trend + s)
        sse += err * err
        new_level = alpha * (y[t] - s) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        seas[t % season] = gamma * (y[t] - new_level) + (1 - gamma) * s
        level = new_level
    n = len(y)
    fc = [level + (h + 1) * trend + seas[(n + h) % season] for h in range(horizon)]
    return sse, fc


def holt_winters_additive(
    series: Sequence[float | None],
    *,
    season: int = 24,
    horizon: int = 6,
    alpha: float | None = None,
    beta: float | None = None,
    gamma: float | None = None,
) -> list[float]:
    """Additive Holt-Winters forecast of the next ``horizon`` points.

    Gaps (None) are imputed with :func:`impute`. Parameters not given are chosen by a grid
    search (7 x 4 x 5 points) minimising the one-step-ahead squared error on the history.
    Needs at least two seasons of history.
    """
    if len(series) < 2 * season:
        raise ValueError("holt_winters_additive needs at least 2 seasons (%d points)" % season)
    y = impute(series, season=season)
    grid = itertools.product(
        _ALPHAS if alpha is None else (alpha,),
        _BETAS if beta is None else (beta,),
        _GAMMAS if gamma is None else (gamma,),
    )
    best: tuple[float, list[float]] | None = None
    for a, b, g in grid:
        sse, fc = _hw_run(y, season, a, b, g, horizon)
        if best is None or sse < best[0]:
            best = (sse, fc)
    assert best is not None
    return best[1]


def seasonal_naive(
    series: Sequence[float | None], *, season: int = 24, horizon: int = 6
) -> list[float]:
    """The value one season earlier (gaps imputed)."""
    if len(series) < season:
        raise ValueError("seasonal_naive needs at least one season")
    y = impute(series, season=season)
    n = len(y)
    return [y[n - season + (h % season)] for h in range(horizon)]


def mase(
    actual: Sequence[float],
    forecast: Sequence[float],
    training: Sequence[float | None],
    *,
    season: int = 24,
) -> float:
    """Mean absolute scaled error: MAE of the forecast / in-sample MAE of the seasonal-naive
    forecast on ``training`` (pairs with a gap are skipped). < 1: better than seasonal naive."""
    if len(actual) != len(forecast) or not actual:
        raise ValueError("actual and forecast must be non-empty and of the same length")
    diffs = [
        abs(b - a)
        for a, b in zip(training, training[season:])
        if a is not None and b is not None
    ]
    if not diffs:
        raise ValueError("training has no pair one season apart")
    scale = sum(diffs) / len(diffs)
    mae = sum(abs(a - f) for a, f in zip(actual, forecast)) / len(actual)
    if scale == 0:
        return 0.0 if mae == 0 else float("inf")
    return mae / scale


def forecast_device(
    readings: Sequence[Reading], *, now: int, horizon_hours: int = 6
) -> Forecast | None:
    """Forecast the hourly means of the next ``horizon_hours`` hours, starting at the hour that
    contains ``now``, from up to 28 days of readings before that hour.

    Returns None with too little history: fewer than MIN_HISTORY_HOURS (72) hours between the
    first reading and the current hour, or fewer than 60 % of those hours with a reading.
    The last ``horizon_hours`` of history back-test Holt-Winters against seasonal naive; the
    better one makes the forecast and ``mase_vs_seasonal_naive`` is Holt-Winters' MASE there.
    """
    end = now // 3600 * 3600
    past = [r for r in readings if r.ts < end]
    if not past:
        return None
    first = min(r.ts for r in past) // 3600 * 3600
    hours = min((end - first) // 3600, MAX_HISTORY_HOURS)
    if hours < MIN_HISTORY_HOURS:
        return None
    series = hourly_means(past, start=end - hours * 3600, hours=hours)
    if sum(v is not None for v in series) < MIN_COVERAGE * hours:
        return None
    train, test = series[:-horizon_hours], series[-horizon_hours:]
    hw_bt = holt_winters_additive(train, horizon=horizon_hours)
    sn_bt = seasonal_naive(train, horizon=horizon_hours)
    pairs = [(a, h, s) for a, h, s in zip(test, hw_bt, sn_bt) if a is not None]
    score: float | None = None
    use_hw = True
    if pairs:
        score = mase([p[0] for p in pairs], [p[1] for p in pairs], train)
        sn_score = mase([p[0] for p in pairs], [p[2] for p in pairs], train)
        use_hw = score <= sn_score
    if use_hw:
        values = holt_winters_additive(series, horizon=horizon_hours)
        method = "holt-winters-additive"
    else:
        values = seasonal_naive(series, horizon=horizon_hours)
        method = "seasonal-naive"
    return Forecast(end, 3600, [round(v, 3) for v in values], score, method)
