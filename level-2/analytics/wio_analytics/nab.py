"""NAB (Numenta Anomaly Benchmark) scoring, re-implemented from its published description.

Follows ``nab/sweeper.py`` of numenta/NAB (v1.x):

* probation: the first ``min(floor(0.15 * n), 0.15 * 5000)`` rows of a file are not scored
  (detections there are ignored, and so is a window that ends inside them);
* inside a window of width ``w`` rows ending at row ``R``, a detection at row ``i`` scores
  ``scaled_sigmoid(-(R - i + 1) / w) / scaled_sigmoid(-1) * A_TP``; only the best (= the first)
  detection of a window counts, a window without one scores ``-A_FN``;
* outside every window a detection scores ``scaled_sigmoid(p) * A_FP`` with
  ``p = |R_prev - i| / (w_prev - 1)`` relative to the preceding window, or ``-A_FP`` when no
  window precedes it (``scaled_sigmoid(3) = -1``); every such detection counts;
* profile "standard": A_TP = 1.0, A_FP = 0.11, A_FN = 1.0;
* normalised score = 100 * (raw - null) / (perfect - null), where "null" detects nothing and
  "perfect" detects every window at its first row; summed over the files before normalising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(position: float) -> float:
    """NAB's scaled sigmoid: ~0.987 at -1 (left edge), 0 at the right edge, -1 from 3 on."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_rows(n: int, percent: float = 0.15) -> int:
    return int(min(math.floor(percent * n), percent * 5000))


@dataclass
class FileScore:
    raw: float
    null: float
    perfect: float
    tp: int
    fp: int
    fn: int


def score_file(
    n_rows: int,
    detections: Sequence[int],
    windows: Sequence[tuple[int, int]],
    *,
    profile: str = "standard",
    probation_percent: float = 0.15,
) -> FileScore:
    """Score one file. ``detections``: row indices; ``windows``: (first, last) row indices,
    inclusive, sorted and disjoint."""
    w = PROFILES[profile]
    probation = probation_rows(n_rows, probation_percent)
    max_tp = scaled_sigmoid(-1.0)
    # a window counts when any of its rows is past probation (NAB names rows, not windows)
    scored = [(a, b) for a, b in windows if b >= probation]
    best: dict[int, float] = {}
    fp_total = 0.0
    fp = 0
    for i in sorted(set(detections)):
        if i < probation or i >= n_rows:
            continue
        inside = next((k for k, (a, b) in enumerate(scored) if a <= i <= b), None)
        if inside is not None:
            a, b = scored[inside]
            width = b - a + 1
            s = scaled_sigmoid(-(b - i + 1) / width) * w["tp"] / max_tp
            best[inside] = max(best.get(inside, -w["fn"]), s)
            continue
        fp += 1
        before = [(a, b) for a, b in windows if b < i]
        if not before:
            fp_total += -1.0 * w["fp"]
        else:
            a, b = before[-1]
            width = b - a + 1
            pos = abs(b - i) / float(width - 1) if width > 1 else 3.0
            fp_total += scaled_sigmoid(pos) * w["fp"]
    window_total = sum(best.get(k, -w["fn"]) for k in range(len(scored)))
    null = -w["fn"] * len(scored)
    perfect = len(scored) * scaled_sigmoid(-1.0) * w["tp"] / max_tp
    tp = len(best)
    return FileScore(window_total + fp_total, null, perfect, tp, fp, len(scored) - tp)


def normalised(raw: float, null: float, perfect: float) -> float:
    """100 * (raw - null) / (perfect - null); 0 when perfect == null (no windows)."""
    if perfect == null:
        return 0.0
    return 100.0 * (raw - null) / (perfect - null)
