// sifa dashboards: draws each chart from the option JSON the server wrote
// into the page (never from inline script), wires drill-down clicks and
// keeps charts sized with the window. No request leaves this server.
(function () {
  'use strict';
  var charts = [];
  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }
  document.querySelectorAll('script.chart-option').forEach(function (s) {
    var el = document.getElementById(s.getAttribute('data-for'));
    var option = parse(s.textContent);
    if (!el || !option || typeof echarts === 'undefined') { return; }
    el.style.height = (parseInt(el.getAttribute('data-height'), 10) || 320) + 'px';
    var chart = echarts.init(el, null, { renderer: 'canvas' });
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
  var pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
