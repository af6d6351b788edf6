// ebpm research pages: sortable tables, and charts drawn from data attributes
// (no inline scripts: the CSP forbids them). The numbers come from the page's own JSON data.
"use strict";

(function () {
  // colour-blind-safe hues dark enough for white backgrounds (Okabe–Ito, darkened)
  var COLOURS = ["#1d4f91", "#b35900", "#00735c", "#a3286f", "#5c4ea3", "#7a6a00", "#2f6f8f", "#8a1c1c"];

  function format(value, digits) {
    if (value === null || value === undefined) {
      return "–";
    }
    return Number(value).toLocaleString("ja-JP", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  // a click on a header button sorts the rows by that column's data-value; numbers start with
  // the largest, text in Japanese order, and blanks (no value) always last
  function makeSortable(table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    headers.forEach(function (th, column) {
      var button = th.querySelector("button.sort");
      if (!button) {
        return;
      }
      button.addEventListener("click", function () {
        var numeric = button.getAttribute("data-kind") === "num";
        var current = th.getAttribute("aria-sort");
        var direction;
        if (current === "ascending") {
          direction = "descending";
        } else if (current === "descending") {
          direction = "ascending";
        } else {
          direction = numeric ? "descending" : "ascending";
        }
        headers.forEach(function (h) {
          h.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", direction);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var sign = direction === "ascending" ? 1 : -1;
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute("data-value") || "";
          var y = b.cells[column].getAttribute("data-value") || "";
          if (x === "" || y === "") {
            return (x === "") - (y === "");
          }
          return sign * (numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "ja"));
        });
        rows.forEach(function (row) {
          body.appendChild(row);
        });
      });
    });
  }

  function drawCharts() {
    document.querySelectorAll("canvas[data-research-chart]").forEach(function (canvas) {
      var spec = JSON.parse(canvas.getAttribute("data-research-chart"));
      var kind = canvas.getAttribute("data-kind") || "bar";
      // many long labels (field names) read better as horizontal bars, one line each
      var horizontal = kind === "bar" && spec.labels.length > 8;
      if (horizontal) {
        canvas.parentElement.style.height = spec.labels.length * 22 + 60 + "px";
      }
      var datasets = spec.datasets.map(function (d, i) {
        var colour = COLOURS[i % COLOURS.length];
        return {
          label: d.label,
          data: d.data,
          backgroundColor: colour,
          borderColor: colour,
          borderWidth: kind === "line" ? 2 : 1,
          pointRadius: 2,
          spanGaps: true,
        };
      });
      var valueAxis = { beginAtZero: true, title: { display: Boolean(spec.unit), text: spec.unit } };
      canvas.chart = new Chart(canvas, {
        type: kind,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          indexAxis: horizontal ? "y" : "x",
          scales: horizontal ? { x: valueAxis } : { y: valueAxis },
          plugins: {
            legend: { display: datasets.length > 1 },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  return ctx.dataset.label + ": " + format(ctx.raw, spec.digits) + (spec.unit ? " " + spec.unit : "");
                },
              },
            },
          },
        },
      });
    });
  }

  // funding (x) against linked papers or Top10% papers (y), one dataset per institution type
  function drawScatter() {
    var canvas = document.querySelector("canvas[data-research-scatter]");
    if (!canvas) {
      return;
    }
    var groups = JSON.parse(canvas.getAttribute("data-research-scatter"));
    // the axis titles in the page's language (data-axes), these where a page gives none
    var titles = { x: "研究費（億円）", papers: "連結された論文数", top10: "連結されたTop10%論文数", unit: "億円" };
    if (canvas.getAttribute("data-axes")) {
      titles = JSON.parse(canvas.getAttribute("data-axes"));
    }
    function datasets(measure) {
      return groups.map(function (g, i) {
        var colour = COLOURS[i % COLOURS.length];
        return {
          label: g.label,
          data: g.points.map(function (p) {
            return { x: p.x, y: p[measure], name: p.name };
          }),
          backgroundColor: colour,
          borderColor: colour,
          pointRadius: 4,
        };
      });
    }
    var chart = new Chart(canvas, {
      type: "scatter",
      data: { datasets: datasets("papers") },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { beginAtZero: true, title: { display: true, text: titles.x } },
          y: { beginAtZero: true, title: { display: true, text: titles.papers } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.raw.name + ": " + format(ctx.raw.x, 1) + " " + titles.unit + ", " + format(ctx.raw.y, 1);
              },
            },
          },
        },
      },
    });
    canvas.chart = chart;
    document.querySelectorAll('input[name="scatter-y"]').forEach(function (input) {
      input.addEventListener("change", function () {
        chart.data.datasets = datasets(input.value);
        chart.options.scales.y.title.text = titles[input.value];
        chart.update();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    if (!document.querySelector("canvas[data-research-chart], canvas[data-research-scatter]")) {
      return;
    }
    var draw = function () {
      drawCharts();
      drawScatter();
    };
    if (typeof Chart !== "undefined") {
      draw();
      return;
    }
    var script = document.createElement("script");
    script.src = "/static/vendor/chart.js/chart.umd.min.js";
    script.onload = draw;
    document.head.appendChild(script);
  });
})();
