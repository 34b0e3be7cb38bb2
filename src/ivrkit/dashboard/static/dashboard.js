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
      { label: "not reached", stroke: "#c92a2a" },
    ];
    var columns = [data.x, data.sessions, data.contained, data.transferred, data.abandoned, data.failed];
    var zone = document.body.dataset.zone || "UTC";
    var inner = function () {
      var style = window.getComputedStyle(box);
      var padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      return Math.max(320, (box.clientWidth || 900) - padding);
    };
    var options = {
      width: inner(),
      height: 260,
      series: series,
      scales: { x: { time: true } },
      // The legend names each line with its colour; values show only while hovering a point.
      legend: { live: false },
      tzDate: function (seconds) { return window.uPlot.tzDate(new Date(seconds * 1e3), zone); },
    };
    var plot = new window.uPlot(options, columns, box);
    var resized = null;
    window.addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(function () {
        plot.setSize({ width: inner(), height: 260 });
      }, 100);
    });
  }

  function text(parent, className, value) {
    var span = document.createElement("span");
    span.className = className;
    span.setAttribute("data-field", className);
    span.textContent = value || "";
    parent.appendChild(span);
    parent.appendChild(document.createTextNode(" "));
  }

  // Times in the zone the page is shown in (the server's setting or the viewer's choice).
  function clock(iso) {
    if (!iso) return "—";
    try {
      return new Intl.DateTimeFormat("en-GB", {
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
        timeZone: document.body.dataset.zone || "UTC",
      }).format(new Date(iso));
    } catch (error) {
      return iso.slice(11, 19);
    }
  }

  function statusText(status) {
    return status === "IN_PROGRESS" ? "in progress" : (status || "").toLowerCase();
  }

  function row(list, data) {
    var found = list.querySelector('[data-session-id="' + CSS.escape(data.session_id) + '"]');
    if (found) return found;
    var item = document.createElement("li");
    item.setAttribute("data-testid", "live-call");
    item.setAttribute("data-session-id", data.session_id);
    var link = document.createElement("a");
    link.href = document.body.dataset.root + "/sessions/" + encodeURIComponent(data.session_id);
    link.className = "time";
    link.setAttribute("data-field", "time");
    link.title = "session " + data.session_id;
    link.textContent = clock(data.started_at);
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    text(item, "customer", data.customer);
    text(item, "flow", data.flow);
    text(item, "status", statusText(data.status));
    text(item, "outcome", data.outcome);
    text(item, "duration", "");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
    return item;
  }

  function update(item, data) {
    item.setAttribute("data-status", data.status || "");
    item.querySelector(".status").textContent = statusText(data.status);
    item.querySelector(".outcome").textContent = data.outcome || "";
    var duration = item.querySelector(".duration");
    if (duration && data.duration_seconds !== null && data.duration_seconds !== undefined) {
      duration.textContent = Math.round(data.duration_seconds) + " s";
    }
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
          var calls = function (count) { return count + (count === 1 ? " call" : " calls"); };
          var values = {
            "stat-calls-today": String(body.callsToday),
            "stat-calls-range": String(body.sessions),
            "stat-containment": pct(body.containmentRate),
            "stat-agent-rate": pct(body.transferRate),
            "stat-abandon-rate": pct(body.abandonRate),
            "stat-failure-rate": pct(body.failureRate),
            "stat-contained": calls(body.contained),
            "stat-transferred": calls(body.transferred),
            "stat-abandoned": calls(body.abandoned),
            "stat-failed": calls(body.failed),
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
