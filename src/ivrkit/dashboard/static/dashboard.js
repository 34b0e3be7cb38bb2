// The dashboard's own script: the calls chart (uPlot) and the live list (server-sent events).
// Loaded from a file so the Content-Security-Policy needs no inline script.
(function () {
  "use strict";

  function drawChart() {
    var box = document.getElementById("chart-calls");
    if (!box || typeof window.uPlot === "undefined" || box.dataset.drawn) return;
    var data = JSON.parse(box.dataset.series || "{}");
    if (!data.x || data.x.length === 0) {
      box.textContent = "No calls in this range.";
      return;
    }
    box.dataset.drawn = "1";
    var series = [
      {},
      { label: "calls", stroke: "#1f2933", width: 2 },
      { label: "contained", stroke: "#2f9e44" },
      { label: "to an agent", stroke: "#1971c2" },
      { label: "abandoned", stroke: "#e8590c" },
      { label: "failed", stroke: "#c92a2a" },
    ];
    var columns = [data.x, data.sessions, data.contained, data.transferred, data.abandoned, data.failed];
    var width = Math.max(320, Math.min(box.clientWidth || 900, 1100));
    new window.uPlot({ width: width, height: 260, series: series, scales: { x: { time: true } } }, columns, box);
  }

  function text(parent, className, value) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = value || "";
    parent.appendChild(span);
    parent.appendChild(document.createTextNode(" "));
  }

  function row(list, data) {
    var found = list.querySelector('[data-session-id="' + CSS.escape(data.session_id) + '"]');
    if (found) return found;
    var item = document.createElement("li");
    item.setAttribute("data-testid", "live-call");
    item.setAttribute("data-session-id", data.session_id);
    var link = document.createElement("a");
    link.href = document.body.dataset.root + "/sessions/" + encodeURIComponent(data.session_id);
    link.textContent = data.session_id;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    text(item, "flow", data.flow);
    text(item, "customer", data.customer);
    text(item, "status", data.status);
    text(item, "outcome", data.outcome);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
    return item;
  }

  function update(item, data) {
    item.setAttribute("data-status", data.status || "");
    item.querySelector(".status").textContent = data.status || "";
    item.querySelector(".outcome").textContent = data.outcome || "";
  }

  var refreshing = null;
  function refreshStats() {
    var stats = document.getElementById("stats");
    if (!stats || refreshing) return;
    refreshing = setTimeout(function () {
      refreshing = null;
      fetch(stats.dataset.api, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          var pct = function (rate) { return (rate * 100).toFixed(1) + "%"; };
          var values = {
            "stat-calls-today": String(body.callsToday),
            "stat-calls-range": String(body.sessions),
            "stat-containment": pct(body.containmentRate),
            "stat-agent-rate": pct(body.transferRate),
            "stat-abandon-rate": pct(body.abandonRate),
            "stat-in-progress": String(body.inProgress),
          };
          Object.keys(values).forEach(function (id) {
            var element = document.querySelector('[data-testid="' + id + '"]');
            if (element) element.textContent = values[id];
          });
        });
    }, 300);
  }

  function listen() {
    var list = document.querySelector('[data-testid="live-calls"]');
    if (!list || !window.EventSource || list.dataset.listening) return;
    list.dataset.listening = "1";
    var source = new EventSource(list.dataset.events);
    source.addEventListener("session-started", function (event) {
      var data = JSON.parse(event.data);
      update(row(list, data), data);
      refreshStats();
    });
    source.addEventListener("session-ended", function (event) {
      var data = JSON.parse(event.data);
      update(row(list, data), data);
      refreshStats();
    });
    source.addEventListener("open", function () { list.dataset.connected = "1"; });
  }

  function start() {
    drawChart();
    listen();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:afterSettle", start);
})();
