"""``wio-query report``: one self-contained HTML file of charts for chosen devices and times.

The data come from the named query ``hourly-averages-per-device.sql``, generalised here: its
``WHERE`` becomes the chosen range (and device list), and its ``date_trunc('hour', ...)``
becomes ``'minute'`` for ranges of up to :data:`MINUTE_BUCKETS_UP_TO` hours. The result is
still Athena (Trino) SQL, run by the usual backends: Athena on AWS, DuckDB locally.

When level 2 is deployed, each device also gets its forecast (a dashed series in the same
charts) and a table of its alerts in the range, read from level 2's DynamoDB tables by key
``Query`` (:class:`wio_tools.dashboard.level2.Level2`); otherwise the report says so.

The file inlines uPlot (JS and CSS), the dashboard's chart code and the data; it names no
external URL, and its CSP (``default-src 'none'``) would block any request it tried.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlglot import exp

from infra.queries import load_named_query
from wio_contract.fields import CONTRACT
from wio_contract.names import ResourceNames
from wio_tools.query.model import JST, QueryError, QueryResult
from wio_tools.query.sql import parse_athena

BASE_QUERY = "hourly-averages-per-device"
MINUTE_BUCKETS_UP_TO = 6.0
REPORT_ALERTS = 100
"""At most this many alerts per device (the newest in the range)."""
_WHERE = re.compile(r"^WHERE\b.*?^GROUP BY", re.DOTALL | re.MULTILINE)
_TRUNC = re.compile(r"date_trunc\('hour',", re.IGNORECASE)
_DEVICE = CONTRACT.identity.name
_TIME = CONTRACT.time.name


_WORDS = {
    "en": {
        "title": "Wio Terminal report",
        "status": "{n} device(s); {bucket} averages; backend:",
        "minute": "per-minute",
        "hour": "hourly",
        "generalised": "generalised",
    },
    "ja": {
        "title": "Wio Terminal レポート",
        "status": "デバイス {n} 台、{bucket}の平均値、バックエンド:",
        "minute": "1 分ごと",
        "hour": "1 時間ごと",
        "generalised": "一般化したもの",
    },
}


@dataclass(frozen=True)
class ReportRange:
    """``[since, until)`` in UTC, with the bucket the averages use."""

    since: dt.datetime
    until: dt.datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise QueryError("the report's --until must be after --since")

    @property
    def bucket(self) -> str:
        hours = (self.until - self.since).total_seconds() / 3600
        return "minute" if hours <= MINUTE_BUCKETS_UP_TO else "hour"


def report_sql(names: ResourceNames, window: ReportRange, devices: Sequence[str] = ()) -> str:
    """The generalised named query as Athena SQL: averages per device and bucket in range.

    The file's own text is kept (sqlglot's Athena output would turn ``AT TIME ZONE`` into
    ``at_timezone()``, which its DuckDB path cannot read back); only the ``WHERE`` clause and
    the ``date_trunc`` unit change, and the result must parse as one Athena statement.
    """
    query = load_named_query(BASE_QUERY, names=names)
    stamp = exp.column(_TIME, quoted=True)
    condition: exp.Expr = exp.and_(
        stamp.copy() >= exp.Literal.number(int(window.since.timestamp())),
        stamp.copy() < exp.Literal.number(int(window.until.timestamp())),
    )
    if devices:
        listed = exp.column(_DEVICE).isin(*[exp.Literal.string(d) for d in devices])
        condition = exp.and_(condition, listed)
    where = f"WHERE {condition.sql(dialect='athena')}\nGROUP BY"
    sql, replaced = _WHERE.subn(lambda _: where, query.sql)
    sql, truncs = _TRUNC.subn(f"date_trunc('{window.bucket}',", sql)
    if replaced != 1 or truncs != 1:
        raise QueryError(f"{BASE_QUERY}.sql no longer has one WHERE and one date_trunc('hour'")
    parse_athena(sql)
    return sql


def _epoch(value: Any) -> int | None:
    # The query's buckets are Japan time: Athena returns them with the zone, DuckDB as the
    # naive wall-clock time in Japan.
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=JST)
        return int(aware.timestamp())
    if isinstance(value, str):
        try:
            return _epoch(dt.datetime.fromisoformat(value.replace(" ", "T")))
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def series_by_device(result: QueryResult) -> dict[str, dict[str, Any]]:
    """Columns per device: ``t`` (bucket start, epoch s) and ``avg_<field>`` per measurement."""
    index = {name: i for i, name in enumerate(result.columns)}
    time_column = next((c for c in result.columns if c.endswith("_jst")), None)
    if _DEVICE not in index or time_column is None:
        raise QueryError(f"unexpected columns from {BASE_QUERY}: {result.columns}")
    out: dict[str, dict[str, Any]] = {}
    for row in result.rows:
        device = str(row[index[_DEVICE]])
        stamp = _epoch(row[index[time_column]])
        if stamp is None:
            continue
        entry = out.setdefault(
            device, {"t": [], "values": {f.name: [] for f in CONTRACT.measurements}}
        )
        entry["t"].append(stamp)
        for f in CONTRACT.measurements:
            column = index.get(f"avg_{f.name}")
            entry["values"][f.name].append(None if column is None else _float(row[column]))
    return out


def _script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_script(source: str) -> str:
    # No URL in the file, and no text that could end the <script> element early.
    return source.replace("https://github.com/leeoniya/uPlot", "uPlot (MIT, Leon Sorokin)").replace(
        "</script", "<\\/script"
    )


def read_level2(
    dynamodb: Any, names: ResourceNames, window: ReportRange, devices: Sequence[str]
) -> dict[str, Any]:
    """``{"available", "devices": {name: {"alerts": [...], "forecast": {...}}}}`` (level 2)."""
    from wio_tools.dashboard.level2 import Level2

    reader = Level2(dynamodb, names)
    since, until = int(window.since.timestamp()), int(window.until.timestamp())
    out: dict[str, Any] = {"available": False, "devices": {}}
    for device in devices:
        alerts = reader.alerts(device, limit=REPORT_ALERTS, since=since, until=until - 1)
        forecast = reader.forecast(device, since=since)
        if alerts.get("error") or forecast.get("error"):
            out["error"] = alerts.get("error") or forecast.get("error")
        if alerts["available"] or forecast["available"]:
            out["available"] = True
        out["devices"][device] = {
            "alerts": alerts["rows"],
            "forecast": {"t": forecast["t"], "values": forecast["values"]},
        }
    return out


def _alerts_table(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    from wio_tools.dashboard.pages import STRINGS, fields_meta

    s, esc = STRINGS[lang], html.escape
    labels = {f["name"]: f["label"] for f in fields_meta(lang)}
    if not rows:
        return f'<h3>{esc(s["alerts"])}</h3><p class="status">{esc(s["no_alerts"])}</p>'

    def cell(value: Any, cls: str = "text") -> str:
        text = "—" if value is None else str(value)
        return f'<td class="{cls}">{esc(text)}</td>'

    head = "".join(
        f"<th>{esc(s[k])}</th>" for k in ("time", "kind", "field", "value", "expected", "score")
    )
    body = []
    for row in rows:
        stamp = row.get("ts")
        when = (
            dt.datetime.fromtimestamp(stamp, JST).strftime("%Y-%m-%d %H:%M JST")
            if isinstance(stamp, (int, float))
            else None
        )
        kind = row.get("kind")
        cells = [
            cell(when),
            cell(s.get(f"kind_{kind}", kind)),
            cell(labels.get(str(row.get("field")), row.get("field"))),
            *(cell(row.get(k), "num") for k in ("value", "expected", "score")),
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<h3>{esc(s["alerts"])}</h3><div class="table-wrap"><table class="alerts">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def render_report(
    data: dict[str, dict[str, Any]],
    *,
    window: ReportRange,
    sql: str,
    backend: str,
    lang: str = "en",
    level2: Mapping[str, Any] | None = None,
) -> str:
    """The whole report page as one string; ``level2``: :func:`read_level2`'s answer."""
    from wio_tools.dashboard.assets import STATIC_DIR, UPLOT_CSS, UPLOT_JS, read_text, uplot_dir
    from wio_tools.dashboard.pages import STRINGS, fields_meta

    level2 = level2 or {"available": False, "devices": {}}
    extra = level2["devices"] if level2["available"] else {}

    vendor = uplot_dir()
    esc = html.escape
    span = f"{window.since:%Y-%m-%d %H:%M} – {window.until:%Y-%m-%d %H:%M} UTC"
    words = _WORDS[lang]
    title = f"{words['title']} {span}"
    payload = {
        "devices": data,
        "fields": fields_meta(lang),
        "strings": STRINGS[lang],
        "bucket": window.bucket,
        "forecast": {name: extra[name]["forecast"] for name in data if name in extra},
    }
    sections = "".join(
        f'<section class="device" data-device="{esc(name)}"><h2>{esc(name)}</h2>'
        '<div class="charts"></div>'
        + (_alerts_table(extra[name]["alerts"], lang) if name in extra else "")
        + "</section>"
        for name in sorted(data)
    )
    empty = "" if data else f'<p class="notice">{esc(STRINGS[lang]["no_data"])}</p>'
    if level2["available"]:
        level2_note = ""
    elif level2.get("error"):
        level2_note = (
            f'<p class="status">{esc(STRINGS[lang]["error"].format(error=level2["error"]))}</p>'
        )
    else:
        level2_note = f'<p class="status" id="level2">{esc(STRINGS[lang]["level2_absent"])}</p>'
    runner = """
(function () {
  var d = JSON.parse(document.getElementById("report-data").textContent);
  var todo = [];
  document.querySelectorAll("section.device").forEach(function (s) {
    var series = d.devices[s.getAttribute("data-device")];
    d.fields.forEach(function (f) {
      var c = document.createElement("div");
      s.querySelector(".charts").appendChild(c);
      todo.push([WioCharts.create(c, f, d.strings), series, f.name, s.getAttribute("data-device")]);
    });
  });
  todo.forEach(function (job) {
    job[0].set(job[1].t, job[1].values[job[2]]);
    var fc = d.forecast[job[3]];
    if (fc) job[0].forecast(fc.t, fc.values[job[2]]);
  });
})();
"""
    csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{esc(title)}</title>
<style>{read_text(vendor, UPLOT_CSS)}</style>
<style>{read_text(STATIC_DIR, "dashboard.css")}</style>
</head>
<body>
<header><h1>{esc(title)}</h1></header>
<main>
<p class="status">{esc(words["status"].format(n=len(data), bucket=words[window.bucket]))}
{esc(backend)}</p>
{level2_note}{empty}{sections}
<details><summary>SQL ({esc(BASE_QUERY)}.sql, {esc(words["generalised"])})</summary>
<pre>{esc(sql)}</pre></details>
</main>
<script type="application/json" id="report-data">{_script_json(payload)}</script>
<script>{_inline_script(read_text(vendor, UPLOT_JS))}</script>
<script>{_inline_script(read_text(STATIC_DIR, "charts.js"))}</script>
<script>{runner}</script>
</body>
</html>
"""


def build_report(
    names: ResourceNames,
    window: ReportRange,
    devices: Sequence[str] = (),
    *,
    lang: str = "en",
    **run_options: Any,
) -> tuple[str, QueryResult]:
    """Run the report's query (``run_options`` go to :func:`run_query`) and render the page."""
    from wio_tools.query.run import run_query

    sql = report_sql(names, window, devices)
    result = run_query(sql, names=names, **run_options)
    data = series_by_device(result)
    page = render_report(
        data,
        window=window,
        sql=sql,
        backend=result.backend,
        lang=lang,
        level2=read_level2(_dynamodb(run_options), names, window, sorted(data)),
    )
    return page, result


def _dynamodb(run_options: Mapping[str, Any]) -> Any:
    # The same client (or environment) the readings came from.
    if run_options.get("dynamodb_client") is not None:
        return run_options["dynamodb_client"]
    from wio_tools.environment import AwsEnvironment

    environment = run_options.get("environment") or AwsEnvironment.resolve()
    return environment.client("dynamodb")


def write_report(path: Path, text: str) -> Path:
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
