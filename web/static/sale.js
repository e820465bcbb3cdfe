// The live sale page: the high bid, a countdown to the close, and a chart of
// the bids over time, kept current by the sale's Server-Sent Events.
(function () {
  'use strict';
  var id = new URLSearchParams(window.location.search).get('id');
  var sale = null, bids = [], skew = 0;
  function $(x) { return document.getElementById(x); }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error(url + ': ' + r.status);
      return r.json();
    });
  }
  function refresh() {
    return Promise.all([getJSON('/api/v1/sales/' + id), getJSON('/api/v1/sales/' + id + '/bids')]).then(function (r) {
      sale = r[0]; bids = (r[1].items || []).slice().sort(function (a, b) { return a.seq - b.seq; });
      skew = new Date(sale.server_time).getTime() - Date.now();
      $('title').textContent = (sale.parcel_name || 'Sale ' + id) + ' · ' + sale.method;
      $('state').textContent = sale.state;
      $('high').textContent = sale.high ? sale.high.amount.wan_yuan + ' 万元 (paddle ' + sale.high.paddle + ')' : 'none yet';
      $('count').textContent = sale.bid_count;
      draw();
    }).catch(function (e) { $('live').textContent = e.message; });
  }
  function deadline() {
    if (!sale) return null;
    var d = sale.deadline || (sale.windows && sale.windows.bidding_end);
    return d ? new Date(d).getTime() : null;
  }
  function tick() {
    var d = deadline();
    if (!d) { $('countdown').textContent = '–'; return; }
    var left = Math.max(0, d - (Date.now() + skew)) / 1000;
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = Math.floor(left % 60);
    $('countdown').textContent = (h ? h + 'h ' : '') + (m < 10 && h ? '0' : '') + m + 'm ' + (s < 10 ? '0' : '') + s + 's';
  }
  function draw() {
    var c = $('chart'), g = c.getContext('2d'), W = c.width, H = c.height, P = 50;
    g.clearRect(0, 0, W, H);
    g.fillStyle = '#888'; g.font = '12px sans-serif';
    if (!bids.length) { g.fillText('No bids yet', W / 2 - 30, H / 2); return; }
    var t0 = new Date(bids[0].at).getTime(), t1 = new Date(bids[bids.length - 1].at).getTime();
    var v0 = bids[0].amount.yuan, v1 = bids[bids.length - 1].amount.yuan;
    bids.forEach(function (b) { v0 = Math.min(v0, b.amount.yuan); v1 = Math.max(v1, b.amount.yuan); });
    if (t1 === t0) t1 = t0 + 1000;
    if (v1 === v0) v1 = v0 + 1;
    function x(t) { return P + (W - 2 * P) * (t - t0) / (t1 - t0); }
    function y(v) { return H - P + -(H - 2 * P) * (v - v0) / (v1 - v0); }
    g.strokeStyle = '#ccc'; g.beginPath(); g.moveTo(P, P / 2); g.lineTo(P, H - P); g.lineTo(W - P / 2, H - P); g.stroke();
    g.fillText((v1 / 10000) + ' 万元', 2, P / 2 + 4); g.fillText((v0 / 10000) + ' 万元', 2, H - P);
    g.strokeStyle = '#e67e22'; g.lineWidth = 2; g.beginPath();
    bids.forEach(function (b, i) {
      var px = x(new Date(b.at).getTime()), py = y(b.amount.yuan);
      if (i) g.lineTo(px, py); else g.moveTo(px, py);
    });
    g.stroke();
    g.fillStyle = '#e67e22';
    bids.forEach(function (b) { g.beginPath(); g.arc(x(new Date(b.at).getTime()), y(b.amount.yuan), 3, 0, 7); g.fill(); });
  }
  refresh().then(function () {
    if (!window.EventSource) return;
    var es = new EventSource('/api/v1/sales/' + id + '/events');
    es.onopen = function () { $('live').textContent = 'live'; };
    es.onerror = function () { $('live').textContent = 'reconnecting…'; };
    es.onmessage = refresh;
    ['bid-accepted', 'countdown-restarted', 'sale-closed', 'listing-closed', 'timed-bidding-opened'].forEach(function (k) {
      es.addEventListener(k, refresh);
    });
  });
  setInterval(tick, 250);
})();
