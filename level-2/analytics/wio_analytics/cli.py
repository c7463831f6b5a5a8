"""``wio-anomaly``: offline evaluation of the detector on CSV files.

``wio-anomaly detect --input FILE.csv``: FILE.csv has the columns ``timestamp,value``
(``YYYY-MM-DD HH:MM:SS``, UTC). One JSON object per alert and line on stdout; a summary on
stderr. Rows are processed in file order, one at a time, so an alert at a row only uses rows up
to it. A bad line stops with its line number and exit code 2, unless ``--skip-bad`` is given
(then it is skipped and counted in the summary).

``wio-anomaly score``: the NAB standard-profile score of the detector on the NAB files vendored
in ``level-2/analytics/nab`` (see README.md).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
from calendar import timegm
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from wio_analytics.detector import DetectorConfig, DetectorState, check_silent, detect
from wio_analytics.model import Reading

EXIT_BAD_INPUT = 2
_TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


class InputError(Exception):
    """Bad input, with the 1-based line number."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__("line %d: %s" % (line, message))
        self.line = line


def parse_ts(text: str) -> int:
    """``YYYY-MM-DD HH:MM:SS`` (optionally with fractional seconds), UTC -> epoch seconds."""
    text = text.strip()
    for fmt in _TS_FORMATS:
        try:
            return timegm(datetime.strptime(text, fmt).timetuple())
        except ValueError:
            continue
    raise ValueError("timestamp %r is not YYYY-MM-DD HH:MM:SS" % text)


@dataclass
class Row:
    line: int
    timestamp: str
    reading: Reading


@dataclass
class ReadStats:
    rows: int = 0
    bad: list[str] = field(default_factory=list)


def read_rows(stream: TextIO, *, skip_bad: bool, stats: ReadStats) -> Iterator[Row]:
    """Rows of a ``timestamp,value`` CSV in file order. Raises InputError on a bad line
    unless ``skip_bad``, in which case the error is recorded in ``stats.bad``."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(1, "empty file: expected the header 'timestamp,value'") from None
    names = [h.strip().lower() for h in header]
    if "timestamp" not in names or "value" not in names:
        raise InputError(1, "header must have the columns 'timestamp' and 'value', got %r" % header)
    i_ts, i_value = names.index("timestamp"), names.index("value")
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        try:
            if len(fields) <= max(i_ts, i_value):
                raise ValueError("expected %d columns, got %d" % (len(names), len(fields)))
            value = float(fields[i_value])
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("value %r is not a finite number" % fields[i_value])
            ts = parse_ts(fields[i_ts])
        except ValueError as exc:
            if not skip_bad:
                raise InputError(line, str(exc)) from None
            stats.bad.append("line %d: %s" % (line, exc))
            continue
        stats.rows += 1
        yield Row(line, fields[i_ts], Reading(ts, value))


@dataclass
class Detection:
    row: Row
    kind: str
    value: float | None
    expected: float | None
    score: float


def run_detector(
    rows: Iterator[Row] | Sequence[Row],
    *,
    config: DetectorConfig,
    field_name: str = "value",
    silent: bool = True,
) -> tuple[list[Detection], DetectorState]:
    """Feed rows one at a time (causal); a silent alert is reported at the row that ends the
    silence."""
    state = DetectorState()
    out: list[Detection] = []
    for row in rows:
        r = row.reading
        if silent and (state.last_ts is None or r.ts > state.last_ts):
            alert = check_silent(state, now=r.ts, config=config)
            if alert is not None:
                out.append(Detection(row, "silent", None, None, alert.score))
        for a in detect(state, [r], field=field_name, now=r.ts, config=config):
            out.append(Detection(row, a.kind, a.value, a.expected, a.score))
    return out, state


def _config(pairs: Sequence[str]) -> DetectorConfig:
    config = DetectorConfig()
    types = {f.name: f.type for f in dataclasses.fields(DetectorConfig)}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in types:
            raise SystemExit("--set expects NAME=VALUE with NAME one of: %s" % ", ".join(types))
        current = getattr(config, key)
        value = type(current)(float(text)) if isinstance(current, int) else float(text)
        config = dataclasses.replace(config, **{key: value})
    return config


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def cmd_detect(args: argparse.Namespace) -> int:
    config = _config(args.set or [])
    stats = ReadStats()
    started = time.process_time()
    try:
        with open(args.input, newline="", encoding="utf-8") as stream:
            detections, state = run_detector(
                read_rows(stream, skip_bad=args.skip_bad, stats=stats),
                config=config,
                field_name=args.field,
                silent=not args.no_silent,
            )
    except InputError as exc:
        print("wio-anomaly: %s: %s" % (args.input, exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print("wio-anomaly: %s" % exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    for d in detections:
        obj = {
            "timestamp": d.row.timestamp,
            "kind": d.kind,
            "value": _round(d.value),
            "expected": _round(d.expected),
            "score": d.score,
            "line": d.row.line,
        }
        print(json.dumps(obj, separators=(",", ":")))
    cpu = time.process_time() - started
    summary = {
        "rows": stats.rows,
        "alerts": len(detections),
        "ignored": state.ignored,
        "bad_lines_skipped": len(stats.bad),
        "cpu_s": round(cpu, 3),
    }
    for message in stats.bad[:20]:
        print("wio-anomaly: skipped %s" % message, file=sys.stderr)
    print("wio-anomaly: " + json.dumps(summary, separators=(",", ":")), file=sys.stderr)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from wio_analytics import nab_eval

    config = _config(args.set or [])
    return nab_eval.main_score(
        Path(args.data) if args.data else None, config=config, baselines=args.baselines
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wio-anomaly", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("detect", help="print the alerts of a timestamp,value CSV as JSON lines")
    p.add_argument("--input", required=True, help="CSV with the columns timestamp,value")
    p.add_argument("--field", default="value", help="field name put in the alerts")
    p.add_argument(
        "--skip-bad", action="store_true", help="skip and count bad lines instead of failing"
    )
    p.add_argument("--no-silent", action="store_true", help="do not report gaps as silent")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a default")
    p.set_defaults(func=cmd_detect)
    s = sub.add_parser("score", help="NAB standard-profile score on the vendored NAB files")
    s.add_argument("--data", help="NAB folder with windows.json (default: the vendored one)")
    s.add_argument(
        "--baselines", action="store_true", help="also score a windowed-Gaussian baseline"
    )
    s.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a default")
    s.set_defaults(func=cmd_score)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
