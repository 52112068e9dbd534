// TV mode (scoreboard/tv.html): the clock in the company's time zone, rows that always fit the
// screen, the win flash, and recovery when the server cannot be reached. A static file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var screen = document.getElementById("tv-screen");
  if (!screen) return;
  var lang = document.documentElement.lang || undefined;
  var timeZone = screen.getAttribute("data-time-zone") || undefined;
  var interval = (parseInt(screen.getAttribute("data-interval"), 10) || 30) * 1000;
  var pollMs = (parseInt(screen.getAttribute("data-poll"), 10) || 10) * 1000;
  var flashMs = (parseInt(screen.getAttribute("data-flash"), 10) || 8) * 1000;
  var winsUrl = screen.getAttribute("data-wins-url");
  var sound = screen.getAttribute("data-sound") === "1";

  // --- the clock, in the company's time zone (not the TV's) ---
  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: timeZone }, options));
    } catch (e) {
      return new Intl.DateTimeFormat(lang, options);
    }
  }
  var dateFormat = formatter({ year: "numeric", month: "2-digit", day: "2-digit", weekday: "long" });
  var timeFormat = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  function tick() {
    var now = new Date();
    var d = document.getElementById("tv-date"), t = document.getElementById("tv-time");
    if (d) d.textContent = dateFormat.format(now);
    if (t) t.textContent = timeFormat.format(now);
  }
  tick();
  setInterval(tick, 1000);

  // --- every row on screen: shrink the type until the page and its footer fit ---
  function overflows(panel) {
    var limit = window.innerHeight + 1;
    var foot = panel.querySelector(".tv-foot");
    var rows = panel.querySelector(".tv-rows");
    if (foot && foot.getBoundingClientRect().bottom > limit) return true;
    if (rows && rows.scrollHeight > rows.clientHeight + 1) return true;
    return document.documentElement.scrollHeight > limit;
  }
  function fit() {
    var panel = document.getElementById("tv-panel");
    if (!panel) return;
    var scale = 1;
    document.body.style.setProperty("--tv-scale", "1");
    while (scale > 0.5 && overflows(panel)) {
      scale = Math.round((scale - 0.04) * 100) / 100;
      document.body.style.setProperty("--tv-scale", String(scale));
    }
    document.body.setAttribute("data-tv-scale", String(scale));
  }
  window.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  document.addEventListener("htmx:afterSettle", fit);
  fit();

  // --- the rotation waits while a flash is on screen ---
  var flashing = false, pending = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (flashing && elt && elt.id === "tv-panel") {
      event.preventDefault();
      pending = elt;
    }
  });
  function resume() {
    if (!pending || !window.htmx) return;
    var panel = document.getElementById("tv-panel");
    if (panel) window.htmx.ajax("GET", panel.getAttribute("hx-get"), { source: panel, target: panel, swap: "outerHTML" });
    pending = null;
  }

  // If the server cannot be reached, keep trying: reload the whole page after a while.
  function retry() { setTimeout(function () { window.location.reload(); }, interval); }
  document.addEventListener("htmx:sendError", retry);
  document.addEventListener("htmx:responseError", retry);
  // Without htmx (script blocked), rotate by reloading the page.
  window.addEventListener("load", function () { if (!window.htmx) setTimeout(function () { window.location.reload(); }, interval); });

  // --- the win flash ---
  var overlay = document.getElementById("tv-flash");
  var queue = [], cursor = null;
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, key) {
      return values[key] === undefined || values[key] === null ? all : values[key];
    });
  }
  function field(name) { return overlay.querySelector('[data-field="' + name + '"]'); }
  function chime(big) {
    if (!sound) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var notes = big ? [523.25, 659.25, 783.99, 1046.5] : [659.25, 987.77];
      notes.forEach(function (f, i) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = f;
        o.connect(g); g.connect(ctx.destination);
        var at = ctx.currentTime + i * 0.16;
        g.gain.setValueAtTime(0.0001, at);
        g.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, at + 0.5);
        o.start(at); o.stop(at + 0.55);
      });
    } catch (e) { /* no sound on this TV */ }
  }
  function show(win, more) {
    var big = win.kind === "milestone";
    var kicker = overlay.querySelector(".tv-flash-kicker");
    var yearly = big && win.milestone && win.milestone.scope === "year";
    kicker.textContent = kicker.getAttribute(yearly ? "data-kicker-year" : big ? "data-kicker-milestone" : "data-kicker-win");
    field("name").textContent = win.name;
    field("amount").textContent = win.amount;
    field("customer").textContent = win.customer;
    var m = field("milestone");
    m.textContent = win.milestone ? fill(m.getAttribute(win.milestone.scope === "unit" ? "data-unit" : yearly ? "data-year" : "data-person"), win.milestone) : "";
    m.hidden = !win.milestone;
    field("unit").textContent = win.unit.name;
    var total = field("total");
    total.textContent = fill(total.getAttribute(win.unit_target ? "data-label" : "data-label-bare"), { total: win.unit_total, target: win.unit_target });
    var extra = field("more");
    extra.textContent = more ? fill(overlay.querySelector(".tv-flash-kicker").getAttribute("data-more"), { n: more }) : "";
    extra.hidden = !more;
    overlay.className = "tv-flash" + (big ? " tv-flash-milestone" : "");
    overlay.setAttribute("data-kind", win.kind);
    overlay.setAttribute("data-deal", win.deal_no);
    overlay.hidden = false;
    chime(big);
    setTimeout(next, big ? flashMs * 1.75 : flashMs);
  }
  function next() {
    if (queue.length) {
      var item = queue.shift();
      show(item.win, item.more);
      return;
    }
    overlay.hidden = true;
    flashing = false;
    resume();
  }
  function enqueue(feed) {
    var wins = (feed.wins || []).slice().reverse(); // oldest first
    wins.forEach(function (win, i) { queue.push({ win: win, more: i === wins.length - 1 ? feed.more : 0 }); });
    if (!flashing && queue.length) { flashing = true; next(); }
  }
  function poll() {
    if (!winsUrl || !overlay) return;
    var url = winsUrl + (cursor === null ? "" : "&after=" + encodeURIComponent(cursor));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok && (r.headers.get("Content-Type") || "").indexOf("json") >= 0 ? r.json() : null; })
      .then(function (feed) {
        if (!feed) return;
        var first = cursor === null;
        cursor = feed.cursor;
        if (!first) enqueue(feed);
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(poll, pollMs); });
  }
  poll();
  window.tvScreen = { fit: fit, poll: poll, state: function () { return { cursor: cursor, flashing: flashing, queued: queue.length }; } };
})();
