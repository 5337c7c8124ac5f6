/* fitcoach's page behaviour: charts (uPlot), the Refresh button, CSRF for htmx requests.
 * Athlete-provided text only ever reaches the page through textContent or the canvas. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // ---- charts ------------------------------------------------------------------------

  function chartData(el) {
    var holder = el.parentElement.querySelector("script.chart-data");
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function chartHeight(el) {
    return el.clientWidth < 500 ? 240 : 320;
  }

  // Vertical lines with a label (goal event, today), drawn on uPlot's canvas.
  function markersPlugin(markers) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          var ratio = uPlot.pxRatio;
          markers.forEach(function (m) {
            var x = Math.round(u.valToPos(m.t, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.save();
            ctx.strokeStyle = m.color;
            ctx.lineWidth = 2 * ratio;
            ctx.setLineDash(m.dash ? [5 * ratio, 4 * ratio] : []);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = m.color;
            ctx.font = "600 " + Math.round(12 * ratio) + "px system-ui, sans-serif";
            var nearRight = x > u.bbox.left + u.bbox.width * 0.6;
            ctx.textAlign = nearRight ? "right" : "left";
            ctx.fillText(m.label, x + (nearRight ? -4 : 4) * ratio, u.bbox.top + (m.row * 14 + 12) * ratio);
            ctx.restore();
          });
        }]
      }
    };
  }

  function keepSized(el, plot) {
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () {
      plot.setSize({ width: el.clientWidth, height: chartHeight(el) });
    }).observe(el);
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "3 Mar", with the year where it changes: the same on every browser and locale.
  function dayTicks(u, ticks) {
    var lastYear = null;
    return ticks.map(function (t) {
      var d = new Date(t * 1e3);
      var year = d.getUTCFullYear();
      var text = d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
      if (lastYear !== null && year !== lastYear) text += "\n" + year;
      if (lastYear === null) text += "\n" + year;
      lastYear = year;
      return text;
    });
  }

  // ---- readouts: the date and every series' value at the pointer or the tap ---------

  function readoutBox(el) {
    return el.parentElement.querySelector(".chart-readout");
  }

  function fixed(v, digits) {
    if (v == null) return "–";
    var text = v.toFixed(digits);
    return text === "-0" || text === "-0.0" ? text.slice(1) : text.replace("-", "−");
  }

  function signedText(v) {
    if (v == null) return "–";
    var text = fixed(v, 0);
    return text.charAt(0) === "−" || text === "0" ? text : "+" + text;
  }

  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  function dayText(t) {
    var d = new Date(t * 1e3);
    return WEEKDAYS[d.getUTCDay()] + " " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  // Writes ``describe(i)`` for the point under the cursor; the last reading stays when the
  // pointer leaves, so a tap's answer can be read after the finger lifts.
  function readoutPlugin(box, describe) {
    return {
      hooks: {
        setCursor: [function (u) {
          var i = u.cursor.idx;
          if (box && i != null) box.textContent = describe(i);
        }]
      }
    };
  }

  // A touch moves uPlot's cursor to the tapped point (uPlot follows the mouse only).
  function tapToRead(plot) {
    plot.over.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse") return;
      var rect = plot.over.getBoundingClientRect();
      plot.setCursor({ left: event.clientX - rect.left, top: event.clientY - rect.top });
    });
  }

  // Form zones as horizontal bands behind the lines, on the axis form is read against.
  function zonesPlugin(zones) {
    var shades = ["rgba(29, 107, 52, 0.05)", "rgba(29, 107, 52, 0.11)", "rgba(74, 79, 85, 0.07)",
                  "rgba(37, 99, 235, 0.09)", "rgba(185, 28, 28, 0.10)"];
    return {
      hooks: {
        drawAxes: [function (u) {
          var ctx = u.ctx;
          var ratio = uPlot.pxRatio;
          var top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
          ctx.save();
          zones.forEach(function (zone, k) {
            var y1 = zone.high == null ? top : Math.max(top, u.valToPos(zone.high, "y", true));
            var y2 = zone.low == null ? bottom : Math.min(bottom, u.valToPos(zone.low, "y", true));
            if (y2 <= y1) return;
            ctx.fillStyle = shades[k % shades.length];
            ctx.fillRect(u.bbox.left, y1, u.bbox.width, y2 - y1);
            if (y2 - y1 >= 14 * ratio) {
              ctx.fillStyle = cssVar("--muted");
              ctx.font = Math.round(11 * ratio) + "px system-ui, sans-serif";
              ctx.textAlign = "right";
              ctx.fillText(zone.name, u.bbox.left + u.bbox.width - 4 * ratio, y2 - 4 * ratio);
            }
          });
          ctx.restore();
        }]
      }
    };
  }

  function drawPerformance(el, data) {
    var markers = [];
    var lastX = data.x[data.x.length - 1];
    if (data.today !== lastX) markers.push({ t: data.today, label: "Today", color: cssVar("--muted"), dash: true, row: 1 });
    if (data.goal) markers.push({ t: data.goal.t, label: data.goal.label, color: cssVar("--accent"), dash: false, row: 0 });
    var projected = data.projected;
    var box = readoutBox(el);
    function describe(i) {
      var future = data.ctl[i] == null && projected && projected.ctl[i] != null;
      var src = future ? projected : data;
      var text = dayText(data.x[i]) + (future ? " (projection)" : "") + ": fitness " + fixed(src.ctl[i], 1) +
        ", fatigue " + fixed(src.atl[i], 1) + ", form " + signedText(src.tsb[i]);
      if (!future) text += ", load " + fixed(data.load[i], 0);
      return text;
    }
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 12] }) : null;
    var series = [
      {},
      { label: "Load", scale: "load", stroke: "rgba(74, 79, 85, 0.5)", fill: "rgba(74, 79, 85, 0.25)", width: 0, paths: bars, points: { show: false } },
      { label: "Fitness (CTL)", stroke: cssVar("--ctl"), width: 2.5 },
      { label: "Fatigue (ATL)", stroke: cssVar("--atl"), width: 1.5 },
      { label: "Form (TSB)", stroke: cssVar("--tsb"), width: 1.5 }
    ];
    var values = [data.x, data.load, data.ctl, data.atl, data.tsb];
    if (projected) {
      series.push(
        { label: "Projected fitness", stroke: cssVar("--ctl"), width: 2, dash: [6, 5] },
        { label: "Projected fatigue", stroke: cssVar("--atl"), width: 1.5, dash: [6, 5] },
        { label: "Projected form", stroke: cssVar("--tsb"), width: 1.5, dash: [6, 5] }
      );
      values.push(projected.ctl, projected.atl, projected.tsb);
    }
    var opts = {
      width: el.clientWidth,
      height: chartHeight(el),
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      series: series,
      // The day's load stands in the lower quarter, below the lines it drives.
      scales: { load: { range: function (u, min, max) { return [0, Math.max(max, 1) * 4]; } } },
      legend: { live: false },
      axes: [{ values: dayTicks, size: 48 }, { size: 46 }],
      plugins: [zonesPlugin(data.zones || []), markersPlugin(markers), readoutPlugin(box, describe)]
    };
    var plot = new uPlot(opts, values, el);
    tapToRead(plot);
    return plot;
  }

  function clock(seconds) {
    if (seconds == null) return "–";
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    return h + ":" + (m < 10 ? "0" : "") + m;
  }

  // The activity's streams present, each with its unit, formatting and colour.
  var ACTIVITY_SERIES = [
    { key: "watts", label: "Power", unit: "W", digits: 0, color: "--ctl", width: 1 },
    { key: "heartrate", label: "Heart rate", unit: "bpm", digits: 0, color: "--atl", width: 1.5 },
    { key: "pace", label: "Pace", unit: "", digits: 0, color: "--info", width: 1.5, text: paceText },
    { key: "speed", label: "Speed", unit: "km/h", digits: 1, color: "--info", width: 1.5 },
    { key: "altitude", label: "Elevation", unit: "m", digits: 0, color: "--muted", width: 1 },
    { key: "cadence", label: "Cadence", unit: "rpm", digits: 0, color: "--tsb", width: 1 }
  ];

  // Seconds per km (or per 100 m for swims) as m:ss.
  function paceText(v, data) {
    if (v == null) return "–";
    var m = Math.floor(v / 60), s = Math.round(v % 60);
    if (s === 60) { m += 1; s = 0; }
    return m + ":" + (s < 10 ? "0" : "") + s + (data.pace_per === "100m" ? " /100 m" : " /km");
  }

  function drawActivity(el, data) {
    var series = [{ label: "Time", value: function (u, v) { return clock(v); } }];
    var values = [data.x];
    var axes = [{ values: function (u, ticks) { return ticks.map(clock); } }];
    var shown = [];
    ACTIVITY_SERIES.forEach(function (s) {
      if (!data[s.key]) return;
      var unit = s.key === "cadence" && data.cadence_unit ? data.cadence_unit : s.unit;
      shown.push({ spec: s, unit: unit, values: data[s.key] });
      series.push({ label: s.label + (unit ? " (" + unit + ")" : ""), scale: s.key, stroke: cssVar(s.color), width: s.width });
      values.push(data[s.key]);
      // Two axes at most, one each side; the readout gives every value.
      if (axes.length < 3) {
        axes.push({ scale: s.key, side: axes.length > 1 ? 1 : 3, size: 50, grid: { show: axes.length === 1 },
                    values: s.text ? function (u, ticks) { return ticks.map(function (t) { return paceText(t, data).split(" ")[0]; }); } : undefined });
      }
    });
    var scales = { x: { time: false } };
    if (data.pace) scales.pace = { dir: -1 }; // faster pace higher up
    function describe(i) {
      var parts = shown.map(function (s) {
        var v = s.values[i];
        var text = s.spec.text ? s.spec.text(v, data) : (v == null ? "–" : fixed(v, s.spec.digits) + " " + s.unit);
        return s.spec.label.toLowerCase() + " " + text;
      });
      return clock(data.x[i]) + ": " + parts.join(", ");
    }
    var opts = {
      width: el.clientWidth,
      height: chartHeight(el),
      scales: scales,
      legend: { live: false },
      series: series,
      axes: axes,
      plugins: [readoutPlugin(readoutBox(el), describe)]
    };
    var plot = new uPlot(opts, values, el);
    tapToRead(plot);
    return plot;
  }

  function durationTick(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.round(seconds / 60) + " min";
    return Math.round(seconds / 360) / 10 + " h";
  }

  function distanceTick(metres) {
    return metres >= 1000 ? Math.round(metres / 100) / 10 + " km" : Math.round(metres) + " m";
  }

  function paceText(seconds) {
    if (seconds == null) return "–";
    var m = Math.floor(seconds / 60);
    var s = Math.round(seconds % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  var CURVE_TICKS_S = [1, 5, 15, 60, 300, 1200, 3600, 18000];

  // Best efforts of two ranges; durations on a logarithmic axis (1 s to 5 h in one view).
  function drawCurve(el, data) {
    var keyText = data.pace ? distanceTick : durationTick;
    var valueText = data.pace
      ? function (u, v) { return v == null ? "–" : paceText(v) + " " + data.unit; }
      : function (u, v) { return v == null ? "–" : Math.round(v) + " " + data.unit; };
    var opts = {
      width: el.clientWidth,
      height: chartHeight(el),
      scales: {
        x: { time: false, distr: 3, log: 10, range: function (u, min, max) { return [min, max]; } },
        y: { dir: data.pace ? -1 : 1 }
      },
      legend: { live: false },
      series: [
        { label: data.pace ? "Distance" : "Duration", value: function (u, v) { return keyText(v); } },
        { label: data.labels[0], stroke: cssVar("--accent"), width: 2.5, value: valueText, spanGaps: true },
        { label: data.labels[1], stroke: cssVar("--ctl"), width: 1.5, dash: [6, 4], value: valueText, spanGaps: true }
      ],
      axes: [
        {
          splits: function (u) {
            var min = u.scales.x.min, max = u.scales.x.max;
            var marks = data.pace ? data.x : CURVE_TICKS_S;
            return marks.filter(function (t) { return t >= min && t <= max; });
          },
          // uPlot's log axis keeps only powers of ten by default: these marks all show.
          filter: function (u, splits) { return splits; },
          values: function (u, ticks) { return ticks.map(function (t) { return t == null ? "" : keyText(t); }); }
        },
        { size: 56, values: function (u, ticks) { return ticks.map(function (t) { return data.pace ? paceText(t) : String(Math.round(t)); }); } }
      ]
    };
    return new uPlot(opts, [data.x, data.first, data.second], el);
  }

  function drawFtp(el, data) {
    var opts = {
      width: el.clientWidth,
      height: chartHeight(el),
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      legend: { live: false },
      series: [{}, { label: "Estimated FTP (W)", stroke: cssVar("--accent"), width: 2, points: { show: true } }],
      axes: [{ values: dayTicks, size: 48 }, { size: 46 }]
    };
    return new uPlot(opts, [data.x, data.ftp], el);
  }

  function drawCharts(root) {
    if (!window.uPlot) return;
    var scope = root && root.querySelectorAll ? root : document;
    var charts = scope.querySelectorAll ? Array.prototype.slice.call(scope.querySelectorAll("[data-chart]")) : [];
    if (scope.matches && scope.matches("[data-chart]")) charts.push(scope);
    charts.forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      var data = chartData(el);
      if (!data || !data.x || !data.x.length) return;
      el.setAttribute("data-drawn", "1");
      var kind = el.getAttribute("data-chart");
      var plot = kind === "performance" ? drawPerformance(el, data)
        : kind === "curve" ? drawCurve(el, data)
        : kind === "ftp" ? drawFtp(el, data) : drawActivity(el, data);
      keepSized(el, plot);
    });
  }

  // ---- refresh -----------------------------------------------------------------------

  var POLL_MS = 1000;
  var MAX_POLLS = 180;

  function refreshStatus(text, busy) {
    var box = document.getElementById("refresh-status");
    if (!box) return;
    box.querySelector("span").textContent = text;
    box.querySelector("progress").hidden = !busy;
  }

  function errorText(xhr, fallback) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body.error) return body.error.reason + " " + (body.error.what_to_do || "");
    } catch (ignored) { /* not JSON: fall through */ }
    return fallback;
  }

  // The chart's section knows the range in view: it is swapped alone when the range changes.
  function reasonOnly(xhr, fallback) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body.error) return body.error.reason;
    } catch (ignored) { /* not JSON: fall through */ }
    return fallback;
  }

  function currentRange() {
    var section = document.getElementById("performance");
    return section ? section.getAttribute("data-range") : "";
  }

  function reloadParts() {
    var url = "/partials/dashboard?range=" + encodeURIComponent(currentRange());
    return htmx.ajax("GET", url, { target: "#dashboard-live", swap: "outerHTML" });
  }

  // While the history is being imported, follow it: the parts are re-read every few
  // seconds (from the database; no Strava call) until the import says it is done.
  var IMPORT_POLL_MS = 10000;
  var importing = null;

  function followImport() {
    if (importing || !document.querySelector("#backfill[data-importing]")) return;
    importing = setInterval(function () {
      if (!document.querySelector("#backfill[data-importing]")) {
        clearInterval(importing);
        importing = null;
        return;
      }
      reloadParts();
    }, IMPORT_POLL_MS);
  }

  function finish(button, text) {
    refreshStatus(text, false);
    button.disabled = false;
  }

  function poll(button, url, attempt) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (answer) {
        var status = answer[0], body = answer[1];
        if (status !== 200) {
          finish(button, body.error ? body.error.reason : "The refresh could not be followed.");
        } else if (body.status === "done") {
          refreshStatus(body.message || "Up to date.", true);
          reloadParts().then(function () { finish(button, body.message || "Up to date."); });
        } else if (body.status === "failed" || body.status === "deferred") {
          finish(button, body.message || "The refresh did not finish.");
        } else if (attempt >= MAX_POLLS) {
          finish(button, "Still waiting for Strava; the page updates when you reload it.");
        } else {
          refreshStatus(body.message || "Waiting for Strava…", true);
          setTimeout(function () { poll(button, url, attempt + 1); }, POLL_MS);
        }
      })
      .catch(function () { finish(button, "fitcoach could not be reached; try again."); });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "refresh-button") refreshStatus("Asking Strava for new activities…", true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var button = event.detail.elt;
    if (button.id !== "refresh-button") return;
    var xhr = event.detail.xhr;
    if (xhr.status === 202) {
      var job = JSON.parse(xhr.responseText);
      button.disabled = true; // stays off while the job runs, not just during the POST
      refreshStatus("Queued…", true);
      poll(button, job.progress_url, 0);
    } else if (xhr.status === 429) {
      finish(button, reasonOnly(xhr, "Refreshed a moment ago; try again in a minute."));
    } else {
      finish(button, errorText(xhr, "The refresh could not start; reload the page and try again."));
    }
  });

  if (window.htmx) {
    // A refused refresh (429) is an answer this script shows in words, not an error.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "429", swap: false, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
    // A chart is pixels on a canvas, which htmx's history snapshots cannot keep: Back and
    // Forward load the page afresh instead, and the charts are drawn again.
    htmx.config.historyCacheSize = 0;
    htmx.config.refreshOnHistoryMiss = true;
    htmx.onLoad(function (root) {
      drawCharts(root);
      followImport();
    });
  } else {
    document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  }
  // ---- calendar: arrow keys move between days, Page Up/Down change the month ----------

  var CALENDAR_STEPS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };

  document.addEventListener("keydown", function (event) {
    var grid = event.target.closest && event.target.closest("[data-calendar]");
    if (!grid || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "PageUp" || event.key === "PageDown") {
      var link = document.getElementById(event.key === "PageUp" ? "previous-month" : "next-month");
      if (link) { event.preventDefault(); window.location.href = link.href; }
      return;
    }
    var days = Array.prototype.slice.call(grid.querySelectorAll(".cal-day"));
    var at = days.indexOf(event.target);
    if (at < 0) return;
    var to = at;
    if (event.key in CALENDAR_STEPS) to = at + CALENDAR_STEPS[event.key];
    else if (event.key === "Home") to = at - (at % 7);
    else if (event.key === "End") to = at - (at % 7) + 6;
    else if (event.key === "Enter") {
      var first = event.target.querySelector("a");
      if (first) { event.preventDefault(); first.click(); }
      return;
    } else return;
    event.preventDefault();
    if (to < 0 || to >= days.length) return;
    days[at].tabIndex = -1;
    days[to].tabIndex = 0;
    days[to].focus();
  });

  // The settings page follows a load recompute until it finishes: count done of total.
  var RECOMPUTE_POLL_MS = 1000;

  function followRecompute() {
    var box = document.querySelector("#recompute[data-running]");
    if (!box) return;
    fetch(box.getAttribute("data-progress-url"), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var job = body.recompute;
        if (!job) return;
        document.getElementById("recompute-text").textContent = job.text;
        var bar = document.getElementById("recompute-bar");
        bar.max = job.total || 1;
        bar.value = job.total ? job.done : 0;
        bar.textContent = job.done + " of " + (job.total === null ? "?" : job.total);
        if (job.finished) box.removeAttribute("data-running");
        else setTimeout(followRecompute, RECOMPUTE_POLL_MS);
      })
      .catch(function () {
        document.getElementById("recompute-text").textContent =
          "The progress could not be read; reload the page to see it.";
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", followRecompute);
  else followRecompute();
})();
