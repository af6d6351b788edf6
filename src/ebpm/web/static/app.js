// ebpm dashboard: charts from data-chart attributes (no inline scripts: the CSP forbids them).
"use strict";

(function () {
  function drawCharts() {
    if (typeof Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute("data-chart"));
      var href = canvas.getAttribute("data-href");
      var chart = new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: data.label, data: data.values, backgroundColor: "#1d4f91" }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
          onClick: function (_event, elements) {
            if (href && elements.length) {
              window.location.href = href + encodeURIComponent(data.labels[elements[0].index]);
            }
          },
        },
      });
      canvas.chart = chart;
    });
  }

  // one series over time: observations, the target point, and the linear-trend projection
  function drawSeries() {
    document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute("data-series"));
      var unit = canvas.getAttribute("data-unit") || "";
      var datasets = [
        {
          label: "観測値 (observations)",
          data: data.points,
          showLine: true,
          borderColor: "#1d4f91",
          backgroundColor: "#1d4f91",
          pointRadius: 4,
        },
      ];
      if (data.projection.length) {
        datasets.push({
          label: "直線トレンド (projection)",
          data: data.projection,
          showLine: true,
          borderDash: [6, 4],
          borderColor: "#8a5a00",
          backgroundColor: "#8a5a00",
          pointRadius: 0,
        });
      }
      if (data.target) {
        datasets.push({
          label: "目標 (target)",
          data: [data.target],
          borderColor: "#8a1c1c",
          backgroundColor: "#8a1c1c",
          pointStyle: "star",
          pointRadius: 9,
        });
      }
      canvas.chart = new Chart(canvas, {
        type: "scatter",
        data: { datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {
            x: { type: "linear", ticks: { stepSize: 1, callback: function (v) { return Math.floor(v); } } },
            y: { grace: "10%", title: { display: Boolean(unit), text: unit } },
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  var p = ctx.raw;
                  var text = (p.label || "") + ": " + (p.y === null ? "" : Number(p.y).toLocaleString("ja-JP")) + unit;
                  return p.source ? [text, p.source] : text;
                },
              },
            },
          },
        },
      });
    });
  }

  // the budget over the strategy tree: section → subsection → row; a click opens the item's page
  function drawTreemaps() {
    var palette = ["#1d4f91", "#3a6fb0", "#6b93c9"];
    document.querySelectorAll("canvas[data-treemap]").forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute("data-treemap"));
      canvas.chart = new Chart(canvas, {
        type: "treemap",
        data: {
          datasets: [
            {
              label: "予算（百万円）",
              tree: data.leaves,
              key: "value",
              groups: ["section", "subsection", "item_id"],
              spacing: 1,
              borderWidth: 1,
              borderColor: "#ffffff",
              backgroundColor: function (ctx) {
                return ctx.type === "data" ? palette[Math.min(ctx.raw.l || 0, 2)] : "#1d4f91";
              },
              labels: {
                display: true,
                color: "#ffffff",
                formatter: function (ctx) {
                  return ctx.type === "data" ? ctx.raw.g : "";
                },
              },
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: function (items) {
                  return items.length ? items[0].raw.g : "";
                },
                label: function (ctx) {
                  return Number(ctx.raw.v).toLocaleString("ja-JP") + " 百万円";
                },
              },
            },
          },
          onClick: function (_event, elements) {
            if (elements.length) {
              var raw = elements[elements.length - 1].element.$context.raw;
              window.location.href = "/budget/items/" + encodeURIComponent(raw.g);
            }
          },
        },
      });
    });
  }

  function load(src, then) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = then;
    document.head.appendChild(script);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("canvas[data-chart], canvas[data-series], canvas[data-treemap]")) {
      return;
    }
    load("/static/vendor/chart.js/chart.umd.min.js", function () {
      drawCharts();
      drawSeries();
      if (document.querySelector("canvas[data-treemap]")) {
        load("/static/vendor/chartjs-chart-treemap/chartjs-chart-treemap.min.js", drawTreemaps);
      }
    });
  });
})();
