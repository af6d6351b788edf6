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

  // the words a chart shows, from its data-words attribute (in the page's language); Japanese
  // where the page gives none
  function wordsOf(canvas, defaults) {
    var given = JSON.parse(canvas.getAttribute("data-words") || "{}");
    return Object.assign({}, defaults, given);
  }

  // one series over time: observations, the target point, and the linear-trend projection, on the
  // axis the server labels and spans (fiscal years as 2021年度, not as calendar dates; the range is
  // the data's and the target's, not Chart.js's own padding). A series split by category (理学系,
  // 工学系 …) has a <select> that switches the chart to another category; the table below the
  // chart holds every category, so nothing is lost without JavaScript.
  function drawSeries() {
    function draw(canvas, data, unit) {
      var words = wordsOf(canvas, { observations: "観測値", projection: "直線トレンド", target: "目標値" });
      var names = {};
      data.axis.ticks.forEach(function (t) {
        names[t.value] = t.label;
      });
      var datasets = [
        {
          label: words.observations,
          data: data.points,
          showLine: true,
          borderColor: "#1d4f91",
          backgroundColor: "#1d4f91",
          pointRadius: 4,
        },
      ];
      if (data.projection.length) {
        datasets.push({
          label: words.projection,
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
          label: words.target,
          data: [data.target],
          borderColor: "#8a1c1c",
          backgroundColor: "#8a1c1c",
          pointStyle: "star",
          pointRadius: 9,
        });
      }
      return new Chart(canvas, {
        type: "scatter",
        data: { datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {
            x: {
              type: "linear",
              min: data.axis.min,
              max: data.axis.max,
              // one tick per period of the axis, at the positions the server gave
              afterBuildTicks: function (scale) {
                scale.ticks = data.axis.ticks.map(function (t) {
                  return { value: t.value };
                });
              },
              ticks: {
                maxRotation: 0,
                callback: function (v) {
                  return names[v] === undefined ? "" : names[v];
                },
              },
            },
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
    }

    document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var unit = canvas.getAttribute("data-unit") || "";
      canvas.chart = draw(canvas, JSON.parse(canvas.getAttribute("data-series")), unit);
      var select = document.querySelector('select[data-chart-for="' + canvas.id + '"]');
      if (!select || !canvas.hasAttribute("data-categories")) {
        return;
      }
      var categories = JSON.parse(canvas.getAttribute("data-categories"));
      var box = select.closest("[hidden]");
      if (box) {
        box.removeAttribute("hidden");
      }
      select.addEventListener("change", function () {
        var chosen = categories[Number(select.value)];
        canvas.chart.destroy();
        canvas.chart = draw(canvas, chosen.chart, unit);
      });
    });
  }

  // the budget over the strategy tree: section → subsection → row. Every box and every tooltip line
  // names its level, id and title with its amount in 億円 and its share of the total, so that no
  // number stands unlabelled; a click opens the item's page (the id is the label's first word).
  // The words come from data-words, with {amount}, {share}, {level} and {label} to fill in.
  function drawTreemaps() {
    var palette = ["#1d4f91", "#3a6fb0", "#6b93c9"];
    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (whole, key) {
        return values[key] === undefined ? whole : values[key];
      });
    }
    document.querySelectorAll("canvas[data-treemap]").forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute("data-treemap"));
      var words = wordsOf(canvas, {
        levels: ["節", "項目", "行"],
        dataset: "FY" + data.fiscal_year + " 当初予算（億円）",
        title: "FY" + data.fiscal_year + " 当初予算",
        amount: "{amount}億円",
        share: "全体の{share}%",
        line: "{level} {label}: {amount}（{share}）",
      });
      function oku(v) {
        var digits = v !== 0 && Math.abs(v) < 0.1 ? 2 : 1;
        var format = { minimumFractionDigits: digits, maximumFractionDigits: digits };
        return fill(words.amount, { amount: Number(v).toLocaleString("ja-JP", format) });
      }
      function share(v) {
        return data.total ? fill(words.share, { share: ((100 * v) / data.total).toFixed(1) }) : "";
      }
      canvas.chart = new Chart(canvas, {
        type: "treemap",
        data: {
          datasets: [
            {
              label: words.dataset,
              tree: data.leaves,
              key: "value",
              groups: ["section_label", "subsection_label", "item_label"],
              spacing: 1,
              borderWidth: 1,
              borderColor: "#ffffff",
              backgroundColor: function (ctx) {
                return ctx.type === "data" ? palette[Math.min(ctx.raw.l || 0, 2)] : "#1d4f91";
              },
              captions: {
                display: true,
                color: "#ffffff",
                formatter: function (ctx) {
                  return ctx.type === "data" ? ctx.raw.g + "  " + oku(ctx.raw.v) : "";
                },
              },
              labels: {
                display: true,
                color: "#ffffff",
                overflow: "hidden",
                // a row's box is small: its id and amount (the title is in the tooltip)
                formatter: function (ctx) {
                  return ctx.type === "data" ? [String(ctx.raw.g).split(" ")[0], oku(ctx.raw.v)] : "";
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
                title: function () {
                  return words.title;
                },
                label: function (ctx) {
                  var level = words.levels[Math.min(ctx.raw.l || 0, 2)];
                  var values = { level: level, label: ctx.raw.g, amount: oku(ctx.raw.v), share: share(ctx.raw.v) };
                  return fill(words.line, values);
                },
              },
            },
          },
          onClick: function (_event, elements) {
            if (elements.length) {
              var raw = elements[elements.length - 1].element.$context.raw;
              window.location.href = "/budget/items/" + encodeURIComponent(String(raw.g).split(" ")[0]);
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

  // on a phone the filters fold away so that the results come first; without JavaScript (or on a
  // wider screen) they stay open
  function foldOnPhone() {
    if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
      document.querySelectorAll("details.fold-on-phone").forEach(function (d) {
        d.open = false;
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldOnPhone();
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
