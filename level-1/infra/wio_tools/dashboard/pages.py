"""HTML pages and UI strings (English and Japanese). Every name is escaped (html.escape)."""

from __future__ import annotations

import html
import json
from typing import Any, Mapping

from wio_contract.fields import CONTRACT
from wio_tools.dashboard.readings import FIRST_BATCH, RANGES, first_batch_url

LANGS = ("en", "ja")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Wio Terminal dashboard",
        "devices": "Devices",
        "device": "Device",
        "last_seen": "Last seen",
        "status": "Status",
        "ok": "reporting",
        "silent": "silent",
        "never": "no readings",
        "rejected": "Rejected messages (dead-letter queue, whole fleet, approximate)",
        "unknown": "unknown",
        "page": "Page {page} of {pages} ({total} devices)",
        "prev": "Previous",
        "next": "Next",
        "hour": "Last hour",
        "day": "Last day",
        "week": "Last week",
        "no_data": "No readings in this range.",
        "updated": "Updated {time}",
        "loading": "Loading…",
        "back": "All devices",
        "truncated": "Showing only the newest {n} readings.",
        "not_found": "No device named “{device}” is known (not in the IoT registry and no "
        "readings in the table).",
        "error": "Could not load the data: {error}",
        "footer": "Served on {bind} only: {reach}. Data: DynamoDB table {table}; {target}.",
        "reach_local": "other computers cannot open it",
        "reach_wide": "WARNING: other computers on the network can open it (no login)",
        "silent_rule": "Silent: no reading for more than {minutes} minutes.",
        "lang": "日本語",
        "time": "Time",
        "alerts": "Anomaly alerts",
        "forecast": "Forecast",
        "no_alerts": "No alerts for this device.",
        "level2_absent": "Level 2 is not deployed: no alerts or forecast.",
        "kind": "Kind",
        "field": "Field",
        "value": "Value",
        "expected": "Expected",
        "score": "Score",
        "kind_deviation": "deviation",
        "kind_stuck": "stuck value",
        "kind_jump": "jump",
        "kind_silent": "silent",
    },
    "ja": {
        "title": "Wio Terminal ダッシュボード",
        "devices": "デバイス一覧",
        "device": "デバイス",
        "last_seen": "最終受信",
        "status": "状態",
        "ok": "受信中",
        "silent": "途絶",
        "never": "データなし",
        "rejected": "拒否されたメッセージ数（デッドレターキュー、全デバイス合計、概算）",
        "unknown": "不明",
        "page": "{page} / {pages} ページ（{total} 台）",
        "prev": "前へ",
        "next": "次へ",
        "hour": "直近1時間",
        "day": "直近1日",
        "week": "直近1週間",
        "no_data": "この期間のデータはありません。",
        "updated": "{time} 更新",
        "loading": "読み込み中…",
        "back": "デバイス一覧へ",
        "truncated": "新しい順に {n} 件だけ表示しています。",
        "not_found": "「{device}」というデバイスは見つかりません（IoT レジストリになく、テーブルにも"
        "データがありません）。",
        "error": "データを読み込めませんでした: {error}",
        "footer": "{bind} でのみ待ち受けています（{reach}）。データ: DynamoDB テーブル {table}、{target}。",
        "reach_local": "他のコンピューターからは開けません",
        "reach_wide": "警告: ネットワーク上の他のコンピューターから開けます（ログインなし）",
        "silent_rule": "途絶: {minutes} 分を超えて受信がないデバイス。",
        "lang": "English",
        "time": "時刻",
        "alerts": "異常アラート",
        "forecast": "予測",
        "no_alerts": "このデバイスのアラートはありません。",
        "level2_absent": "レベル2がデプロイされていないため、アラートと予測はありません。",
        "kind": "種類",
        "field": "項目",
        "value": "値",
        "expected": "予想値",
        "score": "スコア",
        "kind_deviation": "外れ値",
        "kind_stuck": "値の固着",
        "kind_jump": "急変",
        "kind_silent": "途絶",
    },
}


def pick_lang(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the ``wio_lang`` cookie, else the best of Accept-Language, else en."""
    for choice in (query, cookie):
        if choice in LANGS:
            return str(choice)
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in LANGS:
            continue
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if best is None or weight > best[0]:
            best = (weight, base)
    return best[1] if best else "en"


def fields_meta(lang: str) -> list[dict[str, Any]]:
    """The charted fields, labelled from the contract in ``lang``."""
    return [
        {
            "name": f.name,
            "label": f.label_ja if lang == "ja" else f.title,
            "unit": f.unit,
            "minimum": f.minimum,
            "maximum": f.maximum,
        }
        for f in CONTRACT.measurements
    ]


def _json_for_html(data: Any) -> str:
    # A JSON data block: '<', '>' and '&' as \u escapes, so no text can close the element.
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(
    *,
    kind: str,
    lang: str,
    footer: Mapping[str, str],
    device: str | None = None,
    status: int = 200,
    window: str = "hour",
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A page shell; ``kind`` is ``list``, ``device`` or ``missing`` (an unknown device).

    A device page preloads its first readings request (``window``: the range it opens on),
    so the data arrive while the scripts load.
    """
    s = STRINGS[lang]
    other = "ja" if lang == "en" else "en"
    esc = html.escape
    meta: dict[str, Any] = {
        "lang": lang,
        "kind": kind,
        "device": device,
        "strings": s,
        "fields": fields_meta(lang),
        "ranges": list(RANGES),
    }
    preload = ""
    if kind == "device" and device:
        meta.update(
            {
                "range": window,
                "first_url": first_batch_url(device, window),
                "first_limit": FIRST_BATCH,
            }
        )
        preload = (
            f'<link rel="preload" as="fetch" crossorigin="anonymous" '
            f'href="{esc(str(meta["first_url"]))}">\n'
        )
    meta.update(extra or {})
    title = s["title"] if device is None else f"{device} — {s['title']}"
    switch_href = f"?lang={other}" if device is None else f"?id={_url(device)}&lang={other}"
    if kind == "missing":
        body = f'<p class="notice" id="not-found">{esc(s["not_found"].format(device=device))}</p>'
    elif kind == "device":
        buttons = "".join(
            f'<button type="button" data-range="{r}">{esc(s[r])}</button>'
            for r in ("hour", "day", "week")
        )
        body = (
            f'<h2 id="device-name">{esc(device or "")}</h2>'
            f'<div class="ranges" role="group">{buttons}</div>'
            '<p id="status" class="status"></p><div id="charts" class="charts"></div>'
            # Filled by dashboard.js once level 2's answer is in (textContent only).
            '<section id="alerts" class="alerts" aria-live="polite"></section>'
        )
    else:
        body = (
            f'<h2>{esc(s["devices"])}</h2><p id="rejected" class="status"></p>'
            '<p id="silent-rule" class="status"></p><div class="table-wrap">'
            '<table id="devices"><thead></thead><tbody></tbody></table></div>'
            '<nav class="pager"><button type="button" id="prev"></button><span id="page-info">'
            '</span><button type="button" id="next"></button></nav><p id="status" class="status">'
            "</p>"
        )
    back = "" if kind == "list" else f'<a href="/?lang={lang}">{esc(s["back"])}</a>'
    footer_text = s["footer"].format(**{k: esc(v) for k, v in footer.items()})
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
{preload}<link rel="stylesheet" href="/vendor/uPlot.min.css">
<link rel="stylesheet" href="/static/dashboard.css">
<script type="application/json" id="meta">{_json_for_html(meta)}</script>
<script src="/vendor/uPlot.iife.min.js" defer></script>
<script src="/static/charts.js" defer></script>
<script src="/static/dashboard.js" defer></script>
</head>
<body data-kind="{kind}" data-status="{status}">
<header><h1><a href="/?lang={lang}">{esc(s["title"])}</a></h1>
<nav>{back} <a id="lang-switch" href="{esc(switch_href)}" lang="{other}">{esc(s["lang"])}</a></nav>
</header>
<main>{body}</main>
<footer id="footer">{footer_text}</footer>
</body>
</html>
"""


def _url(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
