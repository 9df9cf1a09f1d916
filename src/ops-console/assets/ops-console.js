// The ops console's one script: draws the overview's charts with uPlot and keeps the page's live panels
// current from the server-sent events of /ops/events (HTML fragments the server rendered, and readings).
// Without it every page still works: the panels are server-rendered and the forms are plain POSTs.
'use strict';
(function () {
  var COMPONENTS = ['storefront', 'database', 'payments', 'provider'];
  // distinguishable for common colour-vision deficiencies (Okabe-Ito), each also told by its legend label
  var COLOURS = { storefront: '#0072b2', database: '#d55e00', payments: '#009e73', provider: '#cc79a7' };
  var CHARTS = { rate: 'rate', errors: 'errors', p99: 'p99' };
  var charts = {};

  function dataFor(readings, key) {
    var out = [readings.times];
    COMPONENTS.forEach(function (c) { out.push(readings.components[c][key]); });
    return out;
  }

  function sizeOf(el) { return { width: Math.max(280, el.clientWidth - 4), height: 200 }; }

  function drawCharts(readings) {
    if (typeof uPlot === 'undefined') return;
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      var key = CHARTS[el.getAttribute('data-chart')];
      if (!key) return;
      var data = dataFor(readings, key);
      if (charts[key]) { charts[key].setData(data); return; }
      var size = sizeOf(el);
      charts[key] = new uPlot({
        width: size.width, height: size.height,
        scales: { x: { time: true } },
        series: [{}].concat(COMPONENTS.map(function (c) { return { label: c, stroke: COLOURS[c], width: 2, spanGaps: false }; })),
        axes: [{ stroke: '#1c2826' }, { stroke: '#1c2826', size: 56 }],
      }, data, el);
    });
  }

  function resize() {
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      var chart = charts[CHARTS[el.getAttribute('data-chart')]];
      if (chart) chart.setSize(sizeOf(el));
    });
  }

  function setText(selector, text) {
    var el = document.querySelector(selector);
    if (el) el.textContent = text;
  }

  function applyPanels(panels) {
    Object.keys(panels).forEach(function (name) {
      document.querySelectorAll('[data-panel="' + name + '"]').forEach(function (el) {
        // replaced only when it changed, so a focused link or an open <details> survives an unchanged second
        if (el.getAttribute('data-rendered') === panels[name]) return;
        var open = {};
        el.querySelectorAll('details[open]').forEach(function (d) { var li = d.closest('[data-alert]'); if (li) open[li.getAttribute('data-alert')] = true; });
        el.innerHTML = panels[name];
        el.setAttribute('data-rendered', panels[name]);
        el.querySelectorAll('[data-alert]').forEach(function (li) { if (open[li.getAttribute('data-alert')]) { var d = li.querySelector('details'); if (d) d.open = true; } });
      });
    });
  }

  // A refused stream (503: every stream taken, or the control process stopping) closes an EventSource for
  // good; the page opens a new one after a pause that doubles each time, from 5 s to a minute.
  var retryPauseMs = 5000;
  function live(url) {
    var source = new EventSource(url);
    var signedOut = false;
    source.addEventListener('open', function () { retryPauseMs = 5000; setText('[data-stream-state]', 'Connected.'); });
    source.addEventListener('overview', function (event) {
      var data = JSON.parse(event.data);
      drawCharts(data);
      applyPanels(data.panels);
      setText('[data-updated]', new Date(data.at).toLocaleTimeString());
      document.body.setAttribute('data-live-at', data.at);
    });
    // the session expired or signed out (here or in another tab): no reconnecting into the sign-in page
    source.addEventListener('signed-out', function () {
      signedOut = true;
      source.close();
      setText('[data-stream-state]', 'Signed out: sign in again to see live readings.');
    });
    source.addEventListener('unavailable', function () { setText('[data-stream-state]', 'The control role cannot read its data just now; showing the last readings.'); });
    source.addEventListener('error', function () {
      if (source.readyState !== EventSource.CLOSED) { setText('[data-stream-state]', 'Reconnecting…'); return; }
      if (signedOut) return;
      var pause = retryPauseMs;
      retryPauseMs = Math.min(retryPauseMs * 2, 60000);
      setText('[data-stream-state]', 'Disconnected: trying again in ' + Math.round(pause / 1000) + ' s (reload the page if it stays so; you may need to sign in again).');
      setTimeout(function () { live(url); }, pause);
    });
    window.addEventListener('pagehide', function () { source.close(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var initial = document.getElementById('overview-data');
    if (initial) {
      try { drawCharts(JSON.parse(initial.getAttribute('data-readings'))); } catch (e) { /* the stream draws them */ }
      window.addEventListener('resize', resize);
    }
    var url = document.body.getAttribute('data-live');
    if (url && typeof EventSource !== 'undefined') live(url);
  });
})();
