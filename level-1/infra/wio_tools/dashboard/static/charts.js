/* Charts shared by wio-dashboard and the wio-query report: one uPlot per measurement field.
 * WioCharts.create(container, field, strings) -> chart; chart.set(t, ys); chart.append(t, ys, since)
 * The container's data-points attribute is the number of points last handed to uPlot.
 * Text goes in with textContent only. */
(function () {
  "use strict";

  function pairs(t, ys) {
    var xs = [], vs = [];
    for (var i = 0; i < t.length; i++) {
      if (ys[i] !== null && ys[i] !== undefined) { xs.push(t[i]); vs.push(ys[i]); }
    }
    return [xs, vs];
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
    var xs = [], vs = [], plot = null;

    function width() { return Math.max(200, (container.clientWidth || 340) - 16); }
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (plot) plot.setSize({ width: width(), height: 200 }); })
        .observe(container);
    }

    function draw() {
      empty.hidden = xs.length > 0;
      plotBox.hidden = xs.length === 0;
      if (!plot && xs.length) {
        plot = new uPlot({
          width: width(), height: 200,
          legend: { show: true },
          scales: { x: { time: true, range: function (u, min, max) {
            return min === max ? [min - 1800, max + 1800] : [min, max];
          } } },
          series: [{ label: strings.time }, { label: title.textContent, stroke: "#1565c0", width: 1.5,
                         points: { show: xs.length < 60 } }],
          axes: [{}, { size: 56 }],
        }, [xs, vs], plotBox);
      } else if (plot) {
        plot.setData([xs, vs]);
      }
      if (!container.hasAttribute("data-drawn-at")) {
        container.setAttribute("data-drawn-at", String(Math.round(performance.now())));
        container.setAttribute("data-first-points", String(xs.length));
      }
      container.setAttribute("data-points", String(xs.length));
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
      resize: function () { if (plot) plot.setSize({ width: width(), height: 200 }); },
      count: function () { return xs.length; },
    };
  }

  window.WioCharts = { create: create };
})();
