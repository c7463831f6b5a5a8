/* Charts shared by wio-dashboard and the wio-query report: one uPlot per measurement field.
 * WioCharts.create(container, field, strings) -> chart; chart.set(t, ys); chart.append(t, ys, since)
 * chart.forecast(t, ys): level 2's forecast as a second, dashed series (empty t: none).
 * The container's data-points / data-forecast-points attributes are the readings / forecast
 * points last handed to uPlot. Text goes in with textContent only. */
(function () {
  "use strict";

  function pairs(t, ys) {
    var xs = [], vs = [];
    for (var i = 0; i < t.length; i++) {
      if (ys[i] !== null && ys[i] !== undefined) { xs.push(t[i]); vs.push(ys[i]); }
    }
    return [xs, vs];
  }

  // uPlot wants one x array: the union of both series' times, null where a series has none.
  function align(xs, vs, fxs, fvs) {
    if (!fxs.length) return [xs, vs];
    var at = {}, t = [];
    xs.concat(fxs).forEach(function (x) { if (!at[x]) { at[x] = true; t.push(x); } });
    t.sort(function (a, b) { return a - b; });
    var index = {};
    t.forEach(function (x, i) { index[x] = i; });
    var a = t.map(function () { return null; }), b = a.slice();
    xs.forEach(function (x, i) { a[index[x]] = vs[i]; });
    fxs.forEach(function (x, i) { b[index[x]] = fvs[i]; });
    return [t, a, b];
  }

  function create(container, field, strings) {
    container.classList.add("chart");
    container.setAttribute("data-field", field.name);
    var title = document.createElement("h3");
    title.textContent = field.label + (field.unit ? " (" + field.unit + ")" : "");
    var plotBox = document.createElement("div");
    plotBox.className = "plot";
    var empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = strings.no_data;
    container.replaceChildren(title, plotBox, empty);
    var xs = [], vs = [], fxs = [], fvs = [], plot = null, plotHasForecast = false;
    container.setAttribute("data-forecast-points", "0");

    function width() { return Math.max(200, (container.clientWidth || 340) - 16); }
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (plot) plot.setSize({ width: width(), height: 200 }); })
        .observe(container);
    }

    function draw() {
      var withForecast = fxs.length > 0;
      empty.hidden = xs.length > 0;
      plotBox.hidden = xs.length === 0 && !withForecast;
      if (plot && plotHasForecast !== withForecast) { plot.destroy(); plot = null; }
      var data = align(xs, vs, fxs, fvs);
      if (!plot && (xs.length || withForecast)) {
        // spanGaps: the union of times leaves nulls inside each series; keep the lines whole.
        var series = [{ label: strings.time }, { label: title.textContent, stroke: "#1565c0",
                       width: 1.5, spanGaps: true, points: { show: xs.length < 60 } }];
        if (withForecast) {
          series.push({ label: strings.forecast, stroke: "#ef6c00", width: 1.5, dash: [6, 4],
                        spanGaps: true, points: { show: fxs.length < 60 } });
        }
        plot = new uPlot({
          width: width(), height: 200,
          legend: { show: true },
          scales: { x: { time: true, range: function (u, min, max) {
            return min === max ? [min - 1800, max + 1800] : [min, max];
          } } },
          series: series,
          axes: [{}, { size: 56 }],
        }, data, plotBox);
        plotHasForecast = withForecast;
      } else if (plot) {
        plot.setData(data);
      }
      if (!container.hasAttribute("data-drawn-at")) {
        container.setAttribute("data-drawn-at", String(Math.round(performance.now())));
        container.setAttribute("data-first-points", String(xs.length));
      }
      container.setAttribute("data-points", String(xs.length));
      container.setAttribute("data-forecast-points", String(fxs.length));
      if (xs.length) container.setAttribute("data-last", String(xs[xs.length - 1]));
    }

    return {
      set: function (t, ys) { var p = pairs(t, ys); xs = p[0]; vs = p[1]; draw(); },
      append: function (t, ys, since) {
        var p = pairs(t, ys);
        var keep = 0;
        while (keep < xs.length && xs[keep] < since) keep++;
        xs = xs.slice(keep).concat(p[0]);
        vs = vs.slice(keep).concat(p[1]);
        draw();
      },
      forecast: function (t, ys) { var p = pairs(t, ys || []); fxs = p[0]; fvs = p[1]; draw(); },
      resize: function () { if (plot) plot.setSize({ width: width(), height: 200 }); },
      count: function () { return xs.length; },
    };
  }

  window.WioCharts = { create: create };
})();
