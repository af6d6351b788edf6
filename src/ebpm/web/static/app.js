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

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("canvas[data-chart], canvas[data-series]")) {
      return;
    }
    var script = document.createElement("script");
    script.src = "/static/vendor/chart.js/chart.umd.min.js";
    script.onload = function () {
      drawCharts();
      drawSeries();
    };
    document.head.appendChild(script);
  });
})();
