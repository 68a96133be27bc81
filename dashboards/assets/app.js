// sifa dashboards: draws each chart from the option JSON the server wrote
// into the page (never from inline script), wires drill-down clicks and
// keeps charts sized with the window. No request leaves this server.
(function () {
  'use strict';
  var charts = [];
  var screen = document.body.classList.contains('screen');
  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }
  // the cockpit's maps: shapes the server checked and wrote into the page
  document.querySelectorAll('script.map-shape').forEach(function (s) {
    var shape = parse(s.textContent);
    if (shape && typeof echarts !== 'undefined') { echarts.registerMap(s.getAttribute('data-name'), shape); }
  });
  document.querySelectorAll('script.chart-option').forEach(function (s) {
    var el = document.getElementById(s.getAttribute('data-for'));
    var option = parse(s.textContent);
    if (!el || !option || typeof echarts === 'undefined') { return; }
    var height = parseInt(el.getAttribute('data-height'), 10) || 320;
    if (screen && window.innerWidth <= 700) { height = Math.min(height, el.hasAttribute('data-map') ? 380 : 320); }
    el.style.height = height + 'px';
    var chart = echarts.init(el, screen ? 'dark' : null, { renderer: 'canvas' });
    chart.setOption(option);
    var drill = parse(el.getAttribute('data-drill') || 'null');
    if (drill) {
      el.style.cursor = 'pointer';
      chart.on('click', function (params) {
        var href = drill[params.dataIndex];
        if (href) { window.location.href = href; }
      });
    }
    charts.push(chart);
  });
  // the cockpit reloads itself when new data has been committed
  var version = document.body.getAttribute('data-version');
  var every = parseInt(document.body.getAttribute('data-refresh'), 10);
  if (version && every > 0) {
    setInterval(function () {
      var req = new XMLHttpRequest();
      req.open('GET', '/api/v1/version');
      req.onload = function () {
        var v = req.status === 200 ? parse(req.responseText) : null;
        if (v && v.version && v.version !== version) { window.location.reload(); }
      };
      req.send();
    }, every * 1000);
  }
  var pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
