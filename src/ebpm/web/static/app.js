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

  document.addEventListener("DOMContentLoaded", function () {
    var script = document.createElement("script");
    script.src = "/static/vendor/chart.js/chart.umd.min.js";
    if (document.querySelector("canvas[data-chart]")) {
      script.onload = drawCharts;
      document.head.appendChild(script);
    }
  });
})();
