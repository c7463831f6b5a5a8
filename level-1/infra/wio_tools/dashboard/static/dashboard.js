/* wio-dashboard page logic. All device names and values go in through textContent. */
(function () {
  "use strict";
  var meta = JSON.parse(document.getElementById("meta").textContent);
  var S = meta.strings;
  var LIST_REFRESH_MS = 30000, LIVE_POLL_MS = 3000, LEVEL2_POLL_MS = 60000;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function when(epoch) {
    return epoch ? new Date(epoch * 1000).toLocaleString(meta.lang) : "—";
  }
  function status(text) { document.getElementById("status").textContent = text || ""; }
  function getJSON(url) {
    // No custom headers: the page's preloaded first request must match this fetch.
    return fetch(url).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.status);
        return body;
      });
    });
  }

  // ---------------------------------------------------------------- device list
  function listPage() {
    var page = Number(new URLSearchParams(location.search).get("page") || 1);
    var head = document.querySelector("#devices thead");
    var row = el("tr");
    [S.device, S.status, S.last_seen].forEach(function (h) { row.appendChild(el("th", h)); });
    meta.fields.forEach(function (f) {
      row.appendChild(el("th", f.label + (f.unit ? " (" + f.unit + ")" : "")));
    });
    head.replaceChildren(row);
    document.getElementById("prev").textContent = S.prev;
    document.getElementById("next").textContent = S.next;
    document.getElementById("prev").onclick = function () { page -= 1; load(); };
    document.getElementById("next").onclick = function () { page += 1; load(); };

    function load() {
      status(S.loading);
      getJSON("/api/devices?page=" + page).then(function (data) {
        page = data.page;
        var body = document.querySelector("#devices tbody");
        var rows = data.devices.map(function (d) {
          var tr = el("tr", null, d.latest ? (d.silent ? "silent" : "ok") : "never");
          tr.setAttribute("data-device", d.device);
          var link = el("a", d.device);
          link.href = "/device?id=" + encodeURIComponent(d.device) + "&lang=" + meta.lang;
          var name = el("td"); name.appendChild(link); tr.appendChild(name);
          tr.appendChild(el("td", d.latest ? (d.silent ? S.silent : S.ok) : S.never, "state"));
          tr.appendChild(el("td", when(d.last_seen)));
          meta.fields.forEach(function (f) {
            var v = d.latest ? d.latest[f.name] : null;
            tr.appendChild(el("td", v === null || v === undefined ? "—" : v, "num"));
          });
          return tr;
        });
        body.replaceChildren.apply(body, rows);
        document.getElementById("page-info").textContent =
          fmt(S.page, { page: data.page, pages: data.pages, total: data.total });
        document.getElementById("prev").disabled = data.page <= 1;
        document.getElementById("next").disabled = data.page >= data.pages;
        var n = data.rejected.approximate;
        document.getElementById("rejected").textContent =
          S.rejected + ": " + (n === null ? S.unknown : n);
        document.getElementById("silent-rule").textContent =
          fmt(S.silent_rule, { minutes: Math.round(data.silent_after_seconds / 60) });
        status(fmt(S.updated, { time: new Date().toLocaleTimeString(meta.lang) }));
      }).catch(function (e) { status(fmt(S.error, { error: e.message })); });
    }
    load();
    setInterval(load, LIST_REFRESH_MS);
  }

  // ---------------------------------------------------------------- device charts
  function devicePage() {
    var box = document.getElementById("charts");
    var charts = {}, range = meta.range, last = null, timer = null, generation = 0, busy = false;
    meta.fields.forEach(function (f) {
      var c = el("section");
      c.id = "chart-" + f.name;
      box.appendChild(c);
      charts[f.name] = WioCharts.create(c, f, S);
    });

    // Level 2 (alerts, forecast): fetched once the first readings have drawn, then slowly.
    var level2Timer = null;
    function num(v) { return v === null || v === undefined ? "—" : v; }
    function fieldLabel(name) {
      var f = meta.fields.filter(function (x) { return x.name === name; })[0];
      return f ? f.label : (name || "—");
    }
    function showAlerts(data) {
      var section = document.getElementById("alerts");
      section.setAttribute("data-available", String(!!data.available));
      section.setAttribute("data-rows", String(data.rows.length));
      if (!data.available) {
        section.replaceChildren(el("p", data.error ? fmt(S.error, { error: data.error })
                                                   : S.level2_absent, "status"));
        return;
      }
      var head = el("tr");
      [S.time, S.kind, S.field, S.value, S.expected, S.score].forEach(function (h) {
        head.appendChild(el("th", h));
      });
      var thead = el("thead"), tbody = el("tbody");
      thead.appendChild(head);
      data.rows.forEach(function (a) {
        var tr = el("tr");
        tr.setAttribute("data-alert", a.alert_id || "");
        tr.appendChild(el("td", when(a.ts)));
        tr.appendChild(el("td", S["kind_" + a.kind] || a.kind || "—"));
        tr.appendChild(el("td", fieldLabel(a.field), "field"));
        [a.value, a.expected, a.score].forEach(function (v) { tr.appendChild(el("td", num(v), "num")); });
        tbody.appendChild(tr);
      });
      var table = el("table");
      table.replaceChildren(thead, tbody);
      var wrap = el("div", null, "table-wrap");
      wrap.appendChild(table);
      section.replaceChildren(el("h3", S.alerts),
                              data.rows.length ? wrap : el("p", S.no_alerts, "status"));
    }
    function showForecast(data) {
      meta.fields.forEach(function (f) {
        charts[f.name].forecast(data.available ? data.t : [], data.values[f.name]);
      });
    }
    function loadLevel2() {
      var id = encodeURIComponent(meta.device);
      return Promise.all([
        getJSON("/api/forecast?id=" + id).then(showForecast),
        getJSON("/api/alerts?id=" + id).then(showAlerts),
      ]).then(function () {
        box.setAttribute("data-level2", "loaded");
      }).catch(function () { /* keep what is shown; the next round retries */ });
    }
    function startLevel2() {
      if (level2Timer !== null) return;
      level2Timer = setInterval(loadLevel2, LEVEL2_POLL_MS);
      loadLevel2();
    }

    function url(extra) {
      return "/api/readings?id=" + encodeURIComponent(meta.device) + "&range=" + range +
        (extra || "");
    }
    function show(data, itemsRead) {
      status((data.truncated ? fmt(S.truncated, { n: itemsRead }) + " " : "") +
             fmt(S.updated, { time: new Date().toLocaleTimeString(meta.lang) }));
      box.setAttribute("data-items-read", String(itemsRead));
      if (data.last !== null) last = Math.max(last || 0, data.last);
    }
    // The newest readings (meta.first_url's limit, preloaded by the page) draw at once;
    // the rest of the window follows. A range button asks for the same limit.
    function load() {
      var mine = ++generation, got = null;
      last = null;
      busy = true;
      box.removeAttribute("data-loaded");
      box.removeAttribute("data-complete");
      status(S.loading);
      var first = range === meta.range ? meta.first_url : url("&limit=" + meta.first_limit);
      getJSON(first).then(function (data) {
        if (mine !== generation) return null;
        got = data;
        meta.fields.forEach(function (f) { charts[f.name].set(data.t, data.values[f.name]); });
        show(data, data.items_read);
        box.setAttribute("data-loaded", range);
        startLevel2();
        if (data.complete) return null;
        return getJSON(url("&before=" + data.oldest)).then(function (rest) {
          if (mine !== generation) return;
          var t = rest.t.concat(got.t);
          meta.fields.forEach(function (f) {
            charts[f.name].set(t, rest.values[f.name].concat(got.values[f.name]));
          });
          rest.last = got.last;
          show(rest, rest.items_read + got.items_read);
        });
      }).then(function () {
        if (mine !== generation) return;
        box.setAttribute("data-complete", range);
        box.setAttribute("data-complete-at", String(Math.round(performance.now())));
      }).catch(function (e) { status(fmt(S.error, { error: e.message })); })
        .then(function () { if (mine === generation) busy = false; });
    }
    function poll() {
      var mine = generation;
      if (busy || !box.hasAttribute("data-loaded")) return;
      busy = true;
      getJSON(url("&after=" + (last === null ? 0 : last))).then(function (data) {
        if (mine !== generation || !data.t.length) return;
        meta.fields.forEach(function (f) {
          charts[f.name].append(data.t, data.values[f.name], data.since);
        });
        var read = Number(box.getAttribute("data-items-read")) + data.items_read;
        show(data, read);
      }).catch(function () { /* keep the charts; the next poll retries */ })
        .then(function () { if (mine === generation) busy = false; });
    }
    document.querySelectorAll("button[data-range]").forEach(function (b) {
      b.onclick = function () {
        range = b.getAttribute("data-range");
        document.querySelectorAll("button[data-range]").forEach(function (o) {
          o.setAttribute("aria-pressed", String(o === b));
        });
        load();
      };
      b.setAttribute("aria-pressed", String(b.getAttribute("data-range") === range));
    });
    load();
    timer = setInterval(poll, LIVE_POLL_MS);
    window.addEventListener("pagehide", function () {
      clearInterval(timer);
      if (level2Timer !== null) clearInterval(level2Timer);
    });
  }

  if (meta.kind === "list") listPage();
  if (meta.kind === "device") devicePage();
})();
