"""Score detectors on the vendored NAB files (``wio-anomaly score``)."""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from wio_analytics.cli import Row, ReadStats, parse_ts, read_rows, run_detector
from wio_analytics.detector import DetectorConfig
from wio_analytics.nab import FileScore, normalised, score_file

#: The vendored copy (level-2/analytics/nab), found next to the package in a source checkout.
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "nab"


@dataclass
class NabFile:
    name: str
    rows: list[Row]
    windows: list[tuple[int, int]]


def load(data: Path) -> list[NabFile]:
    windows_by_file: dict[str, list[list[str]]] = json.loads(
        (data / "windows.json").read_text(encoding="utf-8")
    )
    files = []
    for name in sorted(windows_by_file):
        with open(data / name, newline="", encoding="utf-8") as stream:
            rows = list(read_rows(stream, skip_bad=False, stats=ReadStats()))
        index = {row.reading.ts: i for i, row in enumerate(rows)}
        windows = [(index[parse_ts(a)], index[parse_ts(b)]) for a, b in windows_by_file[name]]
        files.append(NabFile(name, rows, windows))
    return files


Detector = Callable[[list[Row]], list[int]]


def wio_detector(config: DetectorConfig) -> Detector:
    def run(rows: list[Row]) -> list[int]:
        detections, _ = run_detector(rows, config=config)
        pos = {id(row): i for i, row in enumerate(rows)}
        return sorted({pos[id(d.row)] for d in detections})

    return run


def windowed_gaussian_scores(values: Sequence[float], window: int = 1000) -> list[float]:
    """NAB's windowedGaussian: mean and sd of the previous ``window`` values (step 1); the
    anomaly score is 1 - the two-sided Gaussian tail probability of the new value."""
    out: list[float] = []
    s = s2 = 0.0
    buf: list[float] = []
    for x in values:
        if buf:
            n = len(buf)
            mean = s / n
            sd = math.sqrt(max(s2 / n - mean * mean, 0.0)) or 1e-6
            tail = 0.5 * math.erfc(abs(x - mean) / sd / math.sqrt(2.0))
            out.append(1.0 - tail)
        else:
            out.append(0.0)
        buf.append(x)
        s += x
        s2 += x * x
        if len(buf) > window:
            old = buf.pop(0)
            s -= old
            s2 -= old * old
    return out


def score_all(files: Sequence[NabFile], detect: Detector) -> list[tuple[str, FileScore]]:
    return [(f.name, score_file(len(f.rows), detect(f.rows), f.windows)) for f in files]


def total(scores: Sequence[tuple[str, FileScore]]) -> tuple[float, float, float, float]:
    raw = sum(s.raw for _, s in scores)
    null = sum(s.null for _, s in scores)
    perfect = sum(s.perfect for _, s in scores)
    return raw, null, perfect, normalised(raw, null, perfect)


def best_gaussian(files: Sequence[NabFile]) -> tuple[float, list[tuple[str, FileScore]]]:
    """Windowed Gaussian with its threshold optimised on these files (as NAB's optimiser does
    over its corpus); generous to the baseline."""
    scores = {f.name: windowed_gaussian_scores([r.reading.value for r in f.rows]) for f in files}
    best: tuple[float, float, list[tuple[str, FileScore]]] | None = None
    for k in range(0, 61):
        threshold = 1.0 - 10 ** (-k / 6.0) if k < 60 else 1.1
        per = [
            (
                f.name,
                score_file(
                    len(f.rows), [i for i, s in enumerate(scores[f.name]) if s >= threshold],
                    f.windows,
                ),
            )
            for f in files
        ]
        raw = total(per)[0]
        if best is None or raw > best[0]:
            best = (raw, threshold, per)
    assert best is not None
    return best[1], best[2]


def table(label: str, scores: Sequence[tuple[str, FileScore]]) -> list[str]:
    lines = []
    for name, s in scores:
        per = normalised(s.raw, s.null, s.perfect) if s.perfect != s.null else None
        lines.append(
            "| %s | %s | %s | %d | %d | %d | %.3f | %s |"
            % (
                label,
                name.split("/")[-1],
                "%d" % (s.tp + s.fn),
                s.tp,
                s.fp,
                s.fn,
                s.raw,
                "%.1f" % per if per is not None else "n/a",
            )
        )
    raw, null, perfect, norm = total(scores)
    lines.append(
        "| %s | **all (raw %.3f, null %.1f, perfect %.1f)** | | | | | | **%.1f** |"
        % (label, raw, null, perfect, norm)
    )
    return lines


def main_score(data: Path | None, *, config: DetectorConfig, baselines: bool) -> int:
    folder = data or DEFAULT_DATA
    if not (folder / "windows.json").exists():
        print("wio-anomaly: no windows.json in %s" % folder, file=sys.stderr)
        return 2
    files = load(folder)
    started = time.process_time()
    ours = score_all(files, wio_detector(config))
    cpu = time.process_time() - started
    n_rows = sum(len(f.rows) for f in files)
    print("| detector | file | windows | TP | FP | FN | raw | normalised |")
    print("|---|---|---|---|---|---|---|---|")
    for line in table("wio", ours):
        print(line)
    if baselines:
        threshold, gauss = best_gaussian(files)
        for line in table("windowedGaussian (thr %.6f)" % threshold, gauss):
            print(line)
    print()
    print(
        "detector CPU: %.2f s for %d rows = %.1f ms per 1,000 readings"
        % (cpu, n_rows, cpu / n_rows * 1e6)
    )
    return 0
