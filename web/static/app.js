// The minerights web map (zh-CN). Parcels are coloured by their state in
// the transfer or by their latest compliance verdict, over the counties and
// the check layers, all from this server's vector tiles. Labels are drawn
// with the browser's own fonts (MapLibre renders glyphs locally when the
// style names no glyph server), so nothing is fetched from another host
// unless the server is configured with a base map and the user turns it on.
//
// Verdicts come from /api/v1/compliance/verdicts, which answers by the
// caller's role: the bureau and planners see every parcel's verdict, the
// public only those of announced parcels. The page sends the session cookie
// (same origin) and, when sessionStorage holds one under
// "minerights.token", a bearer token; tokens never go into URLs.
(function () {
  'use strict';
  var origin = window.location.origin;
  var TOKEN_KEY = 'minerights.token';

  // Words.
  var STATUS = { registered: '已登记', announced: '公告中', in_sale: '出让中', sold: '已成交', failed: '流拍', withdrawn: '已撤回' };
  var VERDICT = { pass: '通过', warn: '警告 (需复核)', fail: '不通过' };
  var SALE = {
    draft: '草拟', announced: '已公告', applying: '报名中', listing: '挂牌中', timed_bidding: '限时竞价',
    auction_live: '拍卖进行中', tender_open: '招标中', closed_sold: '已成交', failed: '流拍', suspended: '暂停',
    terminated: '终止', confirmed: '已签成交确认书', publicity: '结果公示中', contracted: '已签出让合同', defaulted: '违约'
  };
  var KIND = {
    redline: '生态保护红线', farmland: '永久基本农田', mountain: '重点保护山体', mining_zone: '规划开采区',
    mining_right: '现有采矿权', county: '县级行政区', parcels: '采矿权出让地块', counties: '县区'
  };
  var ROLE = { public: '公众', planner: '规划人员', bureau: '自然资源和规划局', bidder: '竞买人' };
  var PROPS = {
    id: '编号', gazette_no: '公告序号', name: '名称', county: '县区', county_code: '县区代码', mineral: '矿种',
    basis: '地质依据', status: '状态', stated_area_km2: '公告面积 (km²)', computed_area_km2: '计算面积 (km²)',
    elevation_top_m: '标高上限 (m)', elevation_bottom_m: '标高下限 (m)', mining_method: '开采方式',
    service_life_years: '服务年限 (年)', starting_price_yuan: '起始价 (元)', geometry_source: '图形来源',
    updated_at: '更新时间', verdict: '核查结论', verdict_at: '核查时间', sale_state: '出让状态',
    sale_closes_at: '竞价截止', sale_price_yuan: '成交价 (元)', feature_id: '要素编号', layer: '图层', kind: '类型',
    layer_version: '图层版本', code: '行政区划代码', source: '来源', generalised: '概化要素'
  };
  var VALUES = {
    status: STATUS, verdict: VERDICT, sale_state: SALE, kind: KIND,
    basis: { explored: '已勘查', reconnaissance: '预查' },
    geometry_source: { generated: '示意图形 (生成, 非实测)', surveyed: '实测' }
  };
  var CHECKS = { validity: '图形有效性', area: '面积核对', parcels: '已登记地块 (其他采矿权)' };

  // Colours, chosen so that nothing shown at the same time looks alike
  // (the browser test measures every pair): check layers use hues of their
  // own, parcels by status or by verdict use others.
  var STATUS_COLOURS = { registered: '#969696', announced: '#41b6c4', in_sale: '#fe9929', sold: '#1a9850', failed: '#252525', withdrawn: '#cab2d6' };
  var VERDICT_COLOURS = { pass: '#1a9850', warn: '#fe9929', fail: '#d7301f' };
  var NO_VERDICT = '#bdbdbd';
  var LAYER_COLOURS = {
    redline: { fill: '#c51b7d', line: '#8e0152' }, farmland: { fill: '#ffff66', line: '#a6a600' },
    mountain: { fill: '#8c510a', line: '#543005' }, mining_zone: { fill: '#4575b4', line: '#313695' },
    mining_right: { fill: '#542788', line: '#2d004b' }
  };
  var FALLBACK = [{ fill: '#35978f', line: '#01665e' }, { fill: '#bf812d', line: '#8c510a' }, { fill: '#de77ae', line: '#8e0152' }];
  var COUNTY = { fill: '#f7f4e9', line: '#7d7d7d' };
  var FONT = ['Noto Sans CJK SC Regular', 'WenQuanYi Zen Hei', 'sans-serif'];

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  // staleWords says in Chinese why a report is stale (the API says it in
  // English: which layer, rule or parcel version changed).
  function staleWords(why) {
    var w = String(why || '').toLowerCase(), parts = [];
    if (w.indexOf('layer') >= 0) parts.push('所用图层已有新版本或新增了图层');
    if (w.indexOf('rule') >= 0 || w.indexOf('setting') >= 0) parts.push('检查规则或设置已修改');
    if (w.indexOf('parcel') >= 0) parts.push('地块数据已修改');
    return parts.length ? parts.join('；') : '检查依据已变化';
  }
  // failWords says why a check without hits did not pass.
  function failWords(c) {
    if (c.check === 'validity') return '边界图形无效';
    if (c.check === 'area') return '申报面积与计算面积不符或未申报';
    if (c.effect === 'within_own_county') return '不完全位于所在县内';
    if (c.effect === 'within_any') return '不在其内';
    if (!c.layer && !c.layer_version && c.check !== 'parcels') return '尚未导入该类图层，无法检查';
    return '未通过';
  }
  function zhTitle(t) { return String(t || '').replace(/\s*\((?:[^()]|\([^()]*\))*\)\s*$/, '') || t; }
  function time(s) {
    if (!s) return '';
    var d = new Date(s);
    return isNaN(d) ? s : d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) + ' (北京时间)';
  }
  function num(x, digits) {
    return Number(x).toLocaleString('zh-CN', { maximumFractionDigits: digits == null ? 2 : digits });
  }
  function value(key, v) {
    if (v == null || v === '') return '—';
    if (VALUES[key] && VALUES[key][v]) return VALUES[key][v];
    if (key === 'layer') {
      var e = layerEntries.filter(function (x) { return x.collection === v; })[0];
      if (e) return e.title + ' (' + v + ')';
    }
    if (/_at$/.test(key)) return time(v);
    if (/_yuan$/.test(key)) return num(v, 0) + ' 元';
    return typeof v === 'object' ? JSON.stringify(v) : v;
  }

  // Requests: same-origin cookies always, a bearer token when the session
  // holds one; errors carry the problem's detail.
  function token() { try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function request(url, opts) {
    opts = opts || {};
    var headers = { Accept: 'application/json' };
    var t = token();
    if (t && !opts.anonymous) headers.Authorization = 'Bearer ' + t;
    if (opts.body) headers['Content-Type'] = 'application/json';
    // Signed in on the pages (a session cookie), a POST carries the
    // session's CSRF token, as the pages' own scripts do.
    if (state.session && (opts.method || 'GET') !== 'GET') headers[state.session.header] = state.session.csrf;
    return fetch(url, { method: opts.method || 'GET', headers: headers, body: opts.body, credentials: 'same-origin' }).then(function (r) {
      if (opts.text && r.ok) return r.text();
      return r.text().then(function (b) {
        var body = null;
        try { body = b ? JSON.parse(b) : null; } catch (e) { body = null; }
        if (!r.ok) {
          var msg = (body && (body.detail || body.title)) || ('HTTP ' + r.status);
          if (body && body.errors && body.errors.length) {
            msg += ': ' + body.errors.map(function (e) { return (e.location ? e.location + ' ' : '') + (e.message || ''); }).join('; ');
          }
          var err = new Error(msg); err.status = r.status; err.problem = body;
          throw err;
        }
        return body;
      });
    });
  }
  function getJSON(url) { return request(url); }

  var state = { colourBy: 'status', collections: [], ready: false, role: 'public', scope: 'announced', verdicts: {}, hits: [] };
  window.minerights = state;

  var phone = window.matchMedia('(max-width: 600px)');
  var panel = document.getElementById('panel');
  var toggle = document.getElementById('panel-toggle');
  function setPanel(open) {
    panel.classList.toggle('collapsed', !open);
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '收起图层' : '图层与图例';
  }
  toggle.addEventListener('click', function () { setPanel(panel.classList.contains('collapsed')); });
  setPanel(!phone.matches);
  function padding() {
    var wide = !phone.matches && !panel.classList.contains('collapsed');
    return { top: 50, bottom: 40, left: wide ? 320 : 30, right: 50 };
  }

  var map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9ecef' } }] },
    center: [113.9, 32.9], zoom: 8, maxZoom: 20, attributionControl: false,
    localIdeographFontFamily: '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", sans-serif',
    locale: {
      'Map.Title': '地图', 'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小',
      'NavigationControl.ResetBearing': '拖动旋转地图, 点击恢复正北', 'Popup.Close': '关闭',
      'ScaleControl.Kilometers': '千米', 'ScaleControl.Meters': '米',
      'AttributionControl.ToggleAttribution': '版权信息', 'AttributionControl.MapFeedback': '地图反馈'
    }
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');

  function tiles(id) {
    return { type: 'vector', tiles: [origin + '/tiles/' + id + '/{z}/{x}/{y}.mvt'], minzoom: 0, maxzoom: 20 };
  }
  function setVisible(ids, on) {
    ids.forEach(function (l) { if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', on ? 'visible' : 'none'); });
  }

  // The layer list: one checkbox per layer, with its swatch.
  var layerEntries = [];
  function addToggle(id, title, colour, visible, layerIds, collection) {
    var label = document.createElement('label');
    label.dataset.colour = colour;
    label.dataset.collection = collection || id;
    var box = document.createElement('input');
    box.type = 'checkbox'; box.id = 'toggle-' + id; box.checked = visible;
    box.addEventListener('change', function () { setVisible(layerIds, box.checked); legend(); });
    var sw = document.createElement('span');
    sw.className = 'swatch'; sw.style.background = colour;
    label.appendChild(box); label.appendChild(sw); label.appendChild(document.createTextNode(' ' + title));
    document.getElementById('layers').appendChild(label);
    layerEntries.push({ id: id, title: title, colour: colour, box: box, layers: layerIds, collection: collection });
  }
  function visibleCollections() {
    return layerEntries.filter(function (e) { return e.collection && e.box.checked; }).map(function (e) { return e.collection; });
  }

  function legend() {
    var items = [];
    if (state.colourBy === 'verdict') {
      Object.keys(VERDICT_COLOURS).forEach(function (k) { items.push([VERDICT_COLOURS[k], '核查' + VERDICT[k]]); });
      items.push([NO_VERDICT, state.scope === 'all' ? '尚无核查报告' : '尚无报告或未公开 (公告前不公开)']);
    } else {
      Object.keys(STATUS_COLOURS).forEach(function (k) { items.push([STATUS_COLOURS[k], STATUS[k]]); });
    }
    var html = '<h2>' + (state.colourBy === 'verdict' ? '地块: 合规核查结论' : '地块: 出让状态') + '</h2><ul>';
    items.forEach(function (it) {
      html += '<li data-colour="' + it[0] + '" data-group="parcels"><span class="swatch parcel" style="background:' + it[0] + '"></span>' + esc(it[1]) + '</li>';
    });
    if (state.colourBy === 'verdict') html += '<li class="note">报告已过期的地块颜色较淡</li>';
    html += '</ul><h2>图层</h2><ul>';
    layerEntries.forEach(function (e) {
      if (!e.collection || e.collection === 'parcels' || !e.box.checked) return;
      html += '<li data-colour="' + e.colour + '" data-group="layers"><span class="swatch" style="background:' + e.colour + '"></span>' + esc(e.title) + '</li>';
    });
    html += '</ul>';
    document.getElementById('legend').innerHTML = html;
  }

  function parcelColour() {
    if (state.colourBy === 'verdict') {
      var m = ['match', ['coalesce', ['feature-state', 'verdict'], '']];
      Object.keys(VERDICT_COLOURS).forEach(function (k) { m.push(k, VERDICT_COLOURS[k]); });
      m.push(NO_VERDICT);
      return m;
    }
    var s = ['match', ['coalesce', ['get', 'status'], '']];
    Object.keys(STATUS_COLOURS).forEach(function (k) { s.push(k, STATUS_COLOURS[k]); });
    s.push('#969696');
    return s;
  }
  function parcelOpacity(full) {
    if (state.colourBy !== 'verdict') return full;
    return ['case', ['boolean', ['feature-state', 'stale'], false], full * 0.45, full];
  }
  function setColourBy(v) {
    state.colourBy = v;
    if (map.getLayer('parcels-fill')) {
      map.setPaintProperty('parcels-fill', 'fill-color', parcelColour());
      map.setPaintProperty('parcels-fill', 'fill-opacity', parcelOpacity(0.85));
      map.setPaintProperty('parcels-dot', 'circle-color', parcelColour());
      map.setPaintProperty('parcels-dot', 'circle-opacity', parcelOpacity(1));
    }
    legend();
  }
  document.querySelectorAll('input[name=colour]').forEach(function (r) {
    r.addEventListener('change', function () { if (r.checked) setColourBy(r.value); });
  });

  // A point inside each polygon for its label and its dot: the centroid of
  // its largest ring when that lies inside, else the ring's middle vertex
  // pulled towards the centroid.
  function ringArea(r) {
    var a = 0;
    for (var i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
    return a / 2;
  }
  function inside(p, r) {
    var c = false;
    for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
      if (((r[i][1] > p[1]) !== (r[j][1] > p[1])) && (p[0] < (r[j][0] - r[i][0]) * (p[1] - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0])) c = !c;
    }
    return c;
  }
  function labelPoint(g) {
    var polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    var best = null, area = -1;
    polys.forEach(function (p) { var a = Math.abs(ringArea(p[0])); if (a > area) { area = a; best = p[0]; } });
    if (!best) return null;
    var x = 0, y = 0, n = best.length - 1;
    for (var i = 0; i < n; i++) { x += best[i][0]; y += best[i][1]; }
    var c = [x / n, y / n];
    if (inside(c, best)) return c;
    var v = best[Math.floor(n / 2)];
    for (var t = 0.9; t > 0; t -= 0.1) {
      var q = [v[0] + (c[0] - v[0]) * (1 - t), v[1] + (c[1] - v[1]) * (1 - t)];
      if (inside(q, best)) return q;
    }
    return best[0];
  }
  function points(fc, props) {
    return {
      type: 'FeatureCollection', features: fc.features.map(function (f) {
        var p = labelPoint(f.geometry);
        return p && { type: 'Feature', id: f.id, properties: props ? props(f) : f.properties, geometry: { type: 'Point', coordinates: p } };
      }).filter(Boolean)
    };
  }
  function shortName(n) { return String(n || '').replace(/^河南省/, ''); }

  function bboxOf(g) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(c) {
      if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); return; }
      c.forEach(walk);
    })(g.coordinates);
    return b;
  }
  function flyToBox(b, then) {
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: padding(), maxZoom: 14, duration: 0 });
    if (then) map.once('idle', then);
  }

  // Popups.
  function openPopup(lngLat, html) {
    if (state.popup) state.popup.remove();
    state.popup = new maplibregl.Popup({ maxWidth: phone.matches ? '92vw' : '440px' }).setLngLat(lngLat).setHTML(html).addTo(map);
    return state.popup;
  }
  function othersHTML(others) {
    if (!others || !others.length) return '';
    return '<div class="others"><span>此处还有:</span> ' + others.map(function (o, i) {
      return '<button type="button" class="link" data-other="' + i + '">' + esc(o.label) + '</button>';
    }).join(' ') + '</div>';
  }
  function wireOthers(el, others, lngLat) {
    el.querySelectorAll('[data-other]').forEach(function (b) {
      b.addEventListener('click', function () { openHit(others[Number(b.dataset.other)], lngLat, others.filter(function (_, i) { return i !== Number(b.dataset.other); })); });
    });
  }

  function reportHTML(rep) {
    var v = rep.verdict;
    var out = '<p class="compliance">核查结论: <b class="verdict-' + esc(v) + '">' + esc(VERDICT[v] || v) + '</b>' +
      (rep.created_at ? ' <span class="muted">(' + esc(time(rep.created_at)) + ')</span>' : '') + '</p>';
    if (rep.stale) out += '<p class="stale">报告已过期: ' + esc(staleWords(rep.stale_reason)) + ' — 需重新核查</p>';
    if (rep.area_m2) out += '<p class="muted">图形面积 ' + num(rep.area_m2, 0) + ' m² (EPSG:4526)</p>';
    // Every check that warns or fails, with the features it found: their
    // overlap in m² and share of the parcel, or their distance; the checks
    // that pass in one line.
    var rows = [], passed = [];
    (rep.checks || []).forEach(function (c) {
      var title = CHECKS[c.check] || zhTitle(c.title) || c.check;
      if (c.verdict === 'pass') {
        var inside = (c.hits || []).filter(function (h) { return h.overlap_m2 > 0; }).map(function (h) { return h.name + ' ' + num(h.overlap_pct, 1) + '%'; });
        passed.push(title + (inside.length ? ' (位于 ' + inside.join('、') + ')' : ''));
        return;
      }
      var hits = (c.hits || []).filter(function (h) { return h.severity !== 'pass'; });
      if (!hits.length) {
        var n = c.nearest;
        rows.push('<tr class="sev-' + esc(c.verdict) + '"><td>' + esc(title) + '</td><td>' + esc(VERDICT[c.verdict] || c.verdict) + '</td><td>' +
          (n && n.name ? esc(failWords(c)) + '; 最近: ' + esc(n.name + ' (' + n.fid + ')') : esc(failWords(c))) + '</td><td class="num">—</td><td class="num">' +
          (n && n.name ? num(n.distance_m, 0) + ' m' : '—') + '</td></tr>');
      }
      hits.forEach(function (h) {
        rows.push('<tr class="sev-' + esc(h.severity) + '"><td>' + esc(title) + '</td><td>' + esc(VERDICT[h.severity] || h.severity) + '</td><td>' +
          esc((h.name || '') + (h.fid ? ' (' + h.fid + ')' : '')) + '</td><td class="num">' +
          (h.overlap_m2 > 0 ? num(h.overlap_m2, 0) + ' m² (' + num(h.overlap_pct, 1) + '%)' : '—') + '</td><td class="num">' +
          (h.overlap_m2 > 0 ? '重叠' : num(h.distance_m, 0) + ' m') + '</td></tr>');
      });
    });
    if (rows.length) {
      out += '<table class="checks"><thead><tr><th>检查项</th><th>结论</th><th>要素</th><th>重叠面积</th><th>距离</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>';
    }
    if (passed.length) out += '<p class="passed">通过: ' + esc(passed.join('; ')) + '</p>';
    return out;
  }
  state.reportHTML = reportHTML;

  function canSeeReports() { return state.scope === 'all'; }

  function popupParcel(id, lngLat, others) {
    var popup = openPopup(lngLat, '<div class="popup" id="popup" data-kind="parcel" data-parcel="' + esc(id) + '">正在读取地块 ' + esc(id) + '…</div>');
    // This popup's own box: an answer that comes after another click must
    // not write into the popup that replaced it.
    var box = popup.getElement().querySelector('.popup');
    Promise.all([
      getJSON(origin + '/api/v1/parcels/' + id),
      getJSON(origin + '/ogc/collections/parcels/items/' + id + '?f=json').catch(function () { return null; }),
      canSeeReports() ? getJSON(origin + '/api/v1/parcels/' + id + '/compliance').catch(function (e) { return e.status === 404 ? { none: true } : { error: e.message }; }) : Promise.resolve(null)
    ]).then(function (res) {
      var p = res[0], feat = res[1], report = res[2];
      var props = feat ? feat.properties : {};
      var rows = [
        ['公告序号', p.gazette_no], ['矿种', p.mineral], ['县区', p.county && p.county.name],
        ['面积 (km²)', p.area && (p.area.stated_km2 + ' (图形计算 ' + p.area.computed_km2 + ')')],
        ['开采标高 (m)', p.elevation ? p.elevation.top_m + ' 至 ' + p.elevation.bottom_m : '未注明'],
        ['起始价', p.starting_price ? p.starting_price.wan_yuan + ' 万元 (' + p.starting_price.capital + ')' : '—'],
        ['状态', STATUS[p.status] || p.status]
      ];
      (p.reserves || []).forEach(function (r) {
        rows.push(['资源量', r.commodity + ' ' + r.quantity + ' ' + r.unit + (r.category ? ' (' + r.category + ')' : '')]);
      });
      var out = '<h2>' + esc(p.name) + '</h2><table>' + rows.map(function (r) {
        return '<tr><th scope="row">' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>';
      }).join('') + '</table>';
      if (report && report.verdict) {
        out += reportHTML(report);
      } else if (report && report.none) {
        out += '<p class="compliance">核查结论: 尚无核查报告</p>';
      } else if (report && report.error) {
        out += '<p class="compliance">核查报告读取失败: ' + esc(report.error) + '</p>';
      } else {
        var v = state.verdicts[id];
        out += '<p class="compliance">核查结论: ' + (v ? '<b class="verdict-' + esc(v.verdict) + '">' + esc(VERDICT[v.verdict]) + '</b>' +
          (v.stale ? ' (报告已过期)' : '') : '未公开或尚无报告 (自公告起公开)') + '</p>';
      }
      out += '<p class="sale">出让: ' + (props.sale_state ? esc(SALE[props.sale_state] || props.sale_state) : '尚未出让') + '</p>';
      out += '<p class="downloads">下载: <a href="/api/v1/parcels/' + esc(id) + '/corners" download="地块' + esc(p.gazette_no || id) + '.txt">国土 TXT</a> · ' +
        '<a href="/api/v1/parcels/' + esc(id) + '/geojson" download="地块' + esc(p.gazette_no || id) + '.geojson">GeoJSON</a></p>';
      out += othersHTML(others);
      var el = box;
      if (!el.isConnected) return;
      el.innerHTML = out;
      el.dataset.loaded = 'true';
      wireOthers(el, others, lngLat);
      getJSON(origin + '/api/v1/sales?parcel_id=' + id).then(function (s) {
        var list = (s.items || s.sales || []).filter(function (x) { return x.parcel_id === Number(id); });
        var sale = el.querySelector('.sale');
        if (list.length && sale) {
          sale.innerHTML = '出让: ' + esc(SALE[list[0].state] || list[0].state) + ' · <a href="/map/sale.html?id=' + list[0].id + '">竞价实况</a>';
        }
      }).catch(function () {});
    }).catch(function (e) {
      if (box.isConnected) box.textContent = '地块 ' + id + ' 读取失败: ' + e.message;
    });
    return popup;
  }
  state.popupFor = popupParcel;

  function popupFeature(hit, lngLat, others) {
    var c = hit.collection, title = hit.title;
    var key = c === 'counties' ? hit.props.code : hit.props.feature_id;
    var head = '<div class="popup" id="popup" data-kind="feature" data-collection="' + esc(c) + '">';
    var box = openPopup(lngLat, head + '正在读取 ' + esc(title) + '…</div>').getElement().querySelector('.popup');
    var show = function (props) {
      var keys = Object.keys(props).filter(function (k) { return props[k] != null && props[k] !== '' && !(k === 'id' && props.id === props.feature_id); });
      var out = '<h2>' + esc(props.name || title) + '</h2><p class="muted">' + esc(title) + '</p><table>' + keys.map(function (k) {
        return '<tr><th scope="row">' + esc(PROPS[k] || k) + '</th><td>' + esc(value(k, props[k])) + '</td></tr>';
      }).join('') + '</table>';
      if (props.generalised) out += '<p class="muted">这是按比例尺合并的概化图形; 放大地图可点选单个要素。</p>';
      out += othersHTML(others);
      if (!box.isConnected) return;
      box.innerHTML = out;
      box.dataset.loaded = 'true';
      wireOthers(box, others, lngLat);
    };
    if (key == null) { show(hit.props); return; }
    getJSON(origin + '/ogc/collections/' + encodeURIComponent(c) + '/items/' + encodeURIComponent(key) + '?f=json')
      .then(function (f) { show(f.properties); })
      .catch(function () { show(hit.props); });
  }

  function openHit(hit, lngLat, others) {
    if (hit.collection === 'parcels') return popupParcel(hit.id, lngLat, others);
    return popupFeature(hit, lngLat, others);
  }

  // Every feature under the pointer, parcels first, then check layers, then
  // the county.
  function hitsAt(point) {
    var layers = [];
    layerEntries.forEach(function (e) {
      if (!e.box.checked) return;
      e.layers.forEach(function (l) { if (/-(fill|dot)$/.test(l) && map.getLayer(l)) layers.push(l); });
    });
    var seen = {}, out = [];
    map.queryRenderedFeatures(point, { layers: layers }).forEach(function (f) {
      var c = f.layer.id.replace(/-(fill|dot)$/, '');
      var entry = layerEntries.filter(function (e) { return e.collection === c; })[0];
      var id = c === 'parcels' ? (f.id != null ? f.id : f.properties.id) : (c === 'counties' ? f.properties.code : f.properties.feature_id);
      var k = c + '/' + id;
      if (seen[k]) return;
      seen[k] = true;
      var name = f.properties.name || id;
      out.push({ collection: c, id: id, props: f.properties, title: entry ? entry.title : c,
        label: (entry ? entry.title : c) + ': ' + (c === 'parcels' && f.properties.gazette_no ? f.properties.gazette_no + '号 ' : '') + shortName(name),
        rank: c === 'parcels' ? 0 : c === 'counties' ? 2 : 1 });
    });
    out.sort(function (a, b) { return a.rank - b.rank; });
    return out;
  }
  state.hitsAt = hitsAt;

  // Verdicts, by the caller's role.
  function loadVerdicts() {
    return getJSON(origin + '/api/v1/compliance/verdicts').catch(function (e) {
      if (e.status === 401 && token()) {
        window.sessionStorage.removeItem(TOKEN_KEY);
        state.notice = '登录已失效, 按公众视图显示';
        return getJSON(origin + '/api/v1/compliance/verdicts');
      }
      throw e;
    }).then(function (res) {
      Object.keys(state.verdicts).forEach(function (id) {
        map.removeFeatureState({ source: 'parcels', sourceLayer: 'parcels', id: Number(id) });
        map.removeFeatureState({ source: 'parcel-points', id: Number(id) });
      });
      state.role = res.role; state.scope = res.scope; state.verdicts = {};
      res.items.forEach(function (v) {
        state.verdicts[v.parcel_id] = v;
        var st = { verdict: v.verdict, stale: v.stale };
        map.setFeatureState({ source: 'parcels', sourceLayer: 'parcels', id: v.parcel_id }, st);
        map.setFeatureState({ source: 'parcel-points', id: v.parcel_id }, st);
      });
      var who = document.getElementById('viewer');
      who.textContent = (state.notice ? state.notice + '。' : '') + (state.scope === 'all'
        ? '当前身份: ' + (ROLE[state.role] || state.role) + ' — 显示全部地块的最新核查结论'
        : '公众视图 — 核查结论自地块公告起公开');
      document.getElementById('whatif').hidden = state.scope !== 'all';
      if (state.scope === 'all' && !state.colourChosen) {
        document.querySelector('input[name=colour][value=verdict]').checked = true;
        setColourBy('verdict');
      }
      legend();
      return res;
    });
  }
  state.loadVerdicts = loadVerdicts;

  // Search by name, 公告序号, county or mineral.
  // A CQL2 LIKE pattern that contains q: quotes doubled, and the wildcards
  // a name never holds dropped from it.
  function likeText(q) { return "'%" + q.replace(/'/g, "''").replace(/[%_]/g, '') + "%'"; }
  document.getElementById('search').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = document.getElementById('q').value.trim();
    var list = document.getElementById('results');
    if (!q) { list.innerHTML = ''; return; }
    var filter = /^\d{1,6}$/.test(q) ? 'gazette_no = ' + q + ' OR id = ' + q
      : ['name', 'county', 'mineral'].map(function (p) { return p + ' LIKE ' + likeText(q); }).join(' OR ');
    var lit = likeText(q);
    list.innerHTML = '<li class="muted">正在查找…</li>';
    Promise.all([
      getJSON(origin + '/ogc/collections/parcels/items?f=json&limit=50&filter=' + encodeURIComponent(filter)),
      /^\d+$/.test(q) ? Promise.resolve({ features: [] }) : getJSON(origin + '/ogc/collections/counties/items?f=json&limit=20&filter=' + encodeURIComponent('name LIKE ' + lit))
    ]).then(function (res) {
      var parcels = res[0].features, counties = res[1].features;
      var html = '<li class="muted">找到 ' + parcels.length + ' 个地块' + (counties.length ? ', ' + counties.length + ' 个县区' : '') + '</li>';
      counties.forEach(function (f, i) {
        html += '<li><button type="button" class="link" data-county="' + i + '">县区: ' + esc(f.properties.name) + '</button></li>';
      });
      parcels.forEach(function (f, i) {
        html += '<li><button type="button" class="link" data-parcel="' + i + '">' + esc(f.properties.gazette_no) + '号 ' + esc(shortName(f.properties.name)) +
          ' <span class="muted">' + esc(f.properties.county) + ' · ' + esc(STATUS[f.properties.status] || f.properties.status) + '</span></button></li>';
      });
      list.innerHTML = html;
      list.querySelectorAll('[data-county]').forEach(function (b) {
        b.addEventListener('click', function () { flyToBox(bboxOf(counties[Number(b.dataset.county)].geometry)); });
      });
      list.querySelectorAll('[data-parcel]').forEach(function (b) {
        b.addEventListener('click', function () {
          var f = parcels[Number(b.dataset.parcel)];
          if (phone.matches) setPanel(false);
          flyToBox(bboxOf(f.geometry), function () { popupParcel(f.id, labelPoint(f.geometry), []); });
        });
      });
    }).catch(function (e) { list.innerHTML = '<li class="error">查找失败: ' + esc(e.message) + '</li>'; });
  });

  // Downloads of what is on screen.
  function viewBox() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(6); }).join(',');
  }
  function stamp() {
    return new Date().toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).replace(/[-: ]/g, '').slice(0, 12);
  }
  function save(name, type, text) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: type }));
    a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
  }
  function say(id, text, cls) {
    var el = document.getElementById(id);
    el.textContent = text; el.className = 'status ' + (cls || '');
  }
  var LIMIT = 10000;
  state.downloadGeoJSON = function () {
    var box = viewBox(), cols = visibleCollections();
    say('download-status', '正在准备 ' + cols.length + ' 个图层…');
    return Promise.all(cols.map(function (c) {
      return getJSON(origin + '/ogc/collections/' + encodeURIComponent(c) + '/items?f=json&limit=' + LIMIT + '&bbox=' + box);
    })).then(function (res) {
      var features = [], cut = [];
      res.forEach(function (fc, i) {
        if (fc.numberMatched > fc.numberReturned) cut.push(cols[i]);
        fc.features.forEach(function (f) {
          f.properties = Object.assign({ collection: cols[i] }, f.properties);
          f.id = cols[i] + '/' + f.id;
          features.push(f);
        });
      });
      var doc = { type: 'FeatureCollection', name: 'minerights 视图 ' + stamp(), bbox: box.split(',').map(Number), features: features };
      save('minerights-视图-' + stamp() + '.geojson', 'application/geo+json', JSON.stringify(doc));
      say('download-status', '已下载 ' + features.length + ' 个要素' + (cut.length ? '; ' + cut.join('、') + ' 超过 ' + LIMIT + ' 个, 仅含前 ' + LIMIT + ' 个: 请放大后再下载' : ''), cut.length ? 'warn' : 'ok');
      return doc;
    }).catch(function (e) { say('download-status', '下载失败: ' + e.message, 'error'); });
  };
  state.downloadTXT = function () {
    return getJSON(origin + '/ogc/collections/parcels/items?f=json&limit=' + LIMIT + '&properties=id&bbox=' + viewBox()).then(function (fc) {
      if (!fc.features.length) { say('download-status', '视图内没有地块', 'warn'); return null; }
      return Promise.all(fc.features.map(function (f) { return request(origin + '/api/v1/parcels/' + f.id + '/corners', { text: true }); })).then(function (txts) {
        // One file: the first export's header, then every parcel's blocks.
        var mark = '[地块坐标]';
        var head = txts[0].slice(0, txts[0].indexOf(mark) + mark.length);
        var body = txts.map(function (t) { return t.slice(t.indexOf(mark) + mark.length).replace(/^\r?\n/, '').replace(/\s+$/, ''); });
        var text = head + '\r\n' + body.join('\r\n') + '\r\n';
        save('minerights-地块-' + stamp() + '.txt', 'text/plain;charset=utf-8', text);
        say('download-status', '已下载 ' + fc.features.length + ' 个地块的国土 TXT', 'ok');
        return text;
      });
    }).catch(function (e) { say('download-status', '下载失败: ' + e.message, 'error'); });
  };
  document.getElementById('dl-geojson').addEventListener('click', function () { state.downloadGeoJSON(); });
  document.getElementById('dl-txt').addEventListener('click', function () { state.downloadTXT(); });

  // What-if: a drawn polygon or a 国土 TXT file, checked and not stored.
  var draw = null, whatifTXT = null;
  function drawStyles() {
    var c = '#00838f';
    return [
      { id: 'wi-fill', type: 'fill', filter: ['all', ['==', '$type', 'Polygon']], paint: { 'fill-color': c, 'fill-opacity': 0.12 } },
      { id: 'wi-line', type: 'line', filter: ['any', ['==', '$type', 'Polygon'], ['==', '$type', 'LineString']],
        layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': c, 'line-width': 2.5 } },
      { id: 'wi-vertex-halo', type: 'circle', filter: ['all', ['==', 'meta', 'vertex'], ['==', '$type', 'Point']], paint: { 'circle-radius': 6, 'circle-color': '#fff' } },
      { id: 'wi-vertex', type: 'circle', filter: ['all', ['==', 'meta', 'vertex'], ['==', '$type', 'Point']], paint: { 'circle-radius': 4, 'circle-color': c } },
      { id: 'wi-midpoint', type: 'circle', filter: ['all', ['==', 'meta', 'midpoint'], ['==', '$type', 'Point']], paint: { 'circle-radius': 3, 'circle-color': c } }
    ];
  }
  function ensureDraw() {
    if (draw) return draw;
    var k = MapboxDraw.constants.classes;
    k.CANVAS = 'maplibregl-canvas'; k.CONTROL_BASE = 'maplibregl-ctrl'; k.CONTROL_PREFIX = 'maplibregl-ctrl-';
    k.CONTROL_GROUP = 'maplibregl-ctrl-group'; k.ATTRIBUTION = 'maplibregl-ctrl-attrib';
    draw = new MapboxDraw({ displayControlsDefault: false, styles: drawStyles() });
    map.addControl(draw);
    map.on('draw.create', function (e) {
      var f = e.features[0];
      draw.getAll().features.forEach(function (o) { if (o.id !== f.id) draw.delete(o.id); });
      state.drawing = false;
      whatifTXT = null;
      document.getElementById('whatif-file').value = '';
      say('whatif-source', '已画范围: ' + (f.geometry.coordinates[0].length - 1) + ' 个拐点');
      document.getElementById('whatif-run').disabled = false;
    });
    map.on('draw.update', function () { document.getElementById('whatif-run').disabled = false; });
    map.on('draw.modechange', function (e) { state.drawing = e.mode === 'draw_polygon'; });
    return draw;
  }
  state.ensureDraw = ensureDraw;
  document.getElementById('whatif-draw').addEventListener('click', function () {
    ensureDraw().deleteAll();
    draw.changeMode('draw_polygon');
    state.drawing = true;
    if (phone.matches) setPanel(false);
    say('whatif-source', '在地图上依次点击拐点, 点击最后一个拐点 (或按回车) 结束');
  });
  document.getElementById('whatif-file').addEventListener('change', function (ev) {
    var file = ev.target.files[0];
    if (!file) return;
    file.arrayBuffer().then(function (buf) {
      var text;
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch (e) { text = new TextDecoder('gbk').decode(buf); }
      whatifTXT = text;
      if (draw) draw.deleteAll();
      say('whatif-source', '已读取 ' + file.name + ' (' + text.split(/\r?\n/).length + ' 行)');
      document.getElementById('whatif-run').disabled = false;
    });
  });
  function clearHits() {
    state.hits.forEach(function (l) { if (map.getLayer(l)) map.removeLayer(l); });
    state.hits = [];
  }
  function showHits(rep) {
    clearHits();
    (rep.checks || []).forEach(function (c) {
      var fids = (c.hits || []).filter(function (h) { return h.severity === 'warn' || h.severity === 'fail'; }).map(function (h) { return String(h.fid); });
      if (!fids.length) return;
      var src = c.check === 'parcels' ? 'parcels' : c.layer;
      if (!src || !map.getSource(src)) return;
      var id = src + '-hit-' + state.hits.length;
      var filter = src === 'parcels' ? ['in', ['to-string', ['id']], ['literal', fids]] : ['in', ['to-string', ['get', 'feature_id']], ['literal', fids]];
      map.addLayer({ id: id, type: 'line', source: src, 'source-layer': src, filter: filter,
        paint: { 'line-color': c.verdict === 'fail' ? VERDICT_COLOURS.fail : VERDICT_COLOURS.warn, 'line-width': 4, 'line-dasharray': [2, 1] } });
      state.hits.push(id);
    });
  }
  document.getElementById('whatif-run').addEventListener('click', function () {
    var body = {};
    var g = draw && draw.getAll().features[0];
    if (whatifTXT) body.corners_txt = whatifTXT;
    else if (g) body.geometry = g.geometry;
    else { say('whatif-status', '请先画范围或上传国土 TXT 文件', 'error'); return; }
    var top = document.getElementById('whatif-top').value, bottom = document.getElementById('whatif-bottom').value;
    if ((top === '') !== (bottom === '')) { say('whatif-status', '开采标高需同时填写上限和下限, 或都不填', 'error'); return; }
    if (top !== '') body.elevation = { top_m: Number(top), bottom_m: Number(bottom) };
    var county = document.getElementById('whatif-county').value;
    if (county) body.county_code = county;
    var mineral = document.getElementById('whatif-mineral').value.trim();
    if (mineral) body.mineral = mineral;
    say('whatif-status', '正在核查…');
    var res = document.getElementById('whatif-result');
    res.innerHTML = '';
    delete res.dataset.verdict;
    request(origin + '/api/v1/compliance/check', { method: 'POST', body: JSON.stringify(body) }).then(function (rep) {
      state.whatif = rep;
      say('whatif-status', '核查完成 (未保存)', 'ok');
      var el = document.getElementById('whatif-result');
      el.innerHTML = reportHTML(rep);
      el.dataset.verdict = rep.verdict;
      showHits(rep);
    }).catch(function (e) {
      state.whatif = null;
      say('whatif-status', '核查未能进行: ' + e.message, 'error');
    });
  });
  document.getElementById('whatif-clear').addEventListener('click', function () {
    if (draw) draw.deleteAll();
    whatifTXT = null; state.whatif = null;
    document.getElementById('whatif-file').value = '';
    document.getElementById('whatif-result').innerHTML = '';
    delete document.getElementById('whatif-result').dataset.verdict;
    document.getElementById('whatif-run').disabled = true;
    say('whatif-source', ''); say('whatif-status', '');
    clearHits();
  });

  // The layers.
  function labelLayer(id, source, sourceLayer, minzoom, maxzoom, field, colour, extra) {
    var l = {
      id: id, type: 'symbol', source: source, minzoom: minzoom, maxzoom: maxzoom || 24,
      layout: Object.assign({ 'text-field': field, 'text-font': FONT, 'text-size': 12, 'text-max-width': 9, 'text-padding': 2 }, extra || {}),
      paint: { 'text-color': colour, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 }
    };
    if (sourceLayer) l['source-layer'] = sourceLayer;
    return l;
  }

  map.on('load', function () {
    Promise.all([
      getJSON(origin + '/ogc/collections?f=json'),
      getJSON(origin + '/ogc/collections/parcels/items?f=json&limit=' + LIMIT),
      getJSON(origin + '/ogc/collections/counties/items?f=json&limit=1000'),
      getJSON(origin + '/map/config.json').catch(function () { return {}; }),
      // Who is signed in on the pages, if anyone (204 for a visitor; the map
      // may be served without the pages, then 404).
      fetch(origin + '/session.json', { credentials: 'same-origin' }).then(function (r) { return r.status === 200 ? r.json() : null; }).catch(function () { return null; })
    ]).then(function (res) {
      var cols = res[0].collections, parcels = res[1], counties = res[2], config = res[3] || {};
      state.session = res[4] && res[4].csrf ? res[4] : null;
      state.collections = cols;
      state.parcelCount = parcels.features.length;
      var countySelect = document.getElementById('whatif-county');
      counties.features.forEach(function (f) {
        var o = document.createElement('option');
        o.value = f.properties.code; o.textContent = f.properties.name;
        countySelect.appendChild(o);
      });

      if (config.basemap && config.basemap.tiles) {
        map.addSource('basemap', { type: 'raster', tiles: config.basemap.tiles, tileSize: 256, maxzoom: config.basemap.maxzoom || 18, attribution: config.basemap.attribution || '' });
        map.addLayer({ id: 'basemap', type: 'raster', source: 'basemap', layout: { visibility: 'none' } });
        addToggle('basemap', '底图 (外部瓦片)', '#cfd8dc', false, ['basemap'], null);
        document.getElementById('toggle-basemap').addEventListener('change', function (e) {
          map.setPaintProperty('counties-fill', 'fill-opacity', e.target.checked ? 0.25 : 1);
        });
      }

      map.addSource('counties', tiles('counties'));
      map.addSource('county-points', { type: 'geojson', data: points(counties) });
      map.addLayer({ id: 'counties-fill', type: 'fill', source: 'counties', 'source-layer': 'counties', paint: { 'fill-color': COUNTY.fill, 'fill-opacity': 1 } });
      map.addLayer({ id: 'counties-line', type: 'line', source: 'counties', 'source-layer': 'counties', paint: { 'line-color': COUNTY.line, 'line-width': 1.2 } });
      addToggle('counties', KIND.counties, COUNTY.fill, true, ['counties-fill', 'counties-line', 'counties-label'], 'counties');

      var i = 0, labels = [];
      cols.forEach(function (c) {
        if (c.id === 'parcels' || c.id === 'counties' || c.id === 'sales') return;
        var kind = (c.description.match(/kind (\w+)/) || [])[1];
        var colour = LAYER_COLOURS[kind] || FALLBACK[i++ % FALLBACK.length];
        var visible = kind === 'redline' || kind === 'mining_zone';
        var title = KIND[kind] || zhTitle(c.title);
        if (title === KIND[kind] && layerEntries.some(function (e) { return e.title === title; })) title += ' (' + c.id + ')';
        map.addSource(c.id, tiles(c.id));
        map.addLayer({ id: c.id + '-fill', type: 'fill', source: c.id, 'source-layer': c.id, layout: { visibility: visible ? 'visible' : 'none' },
          paint: { 'fill-color': colour.fill, 'fill-opacity': kind === 'mining_zone' ? 0.18 : 0.45 } });
        map.addLayer({ id: c.id + '-line', type: 'line', source: c.id, 'source-layer': c.id, layout: { visibility: visible ? 'visible' : 'none' },
          paint: { 'line-color': colour.line, 'line-width': kind === 'mining_zone' ? 1.6 : 1 } });
        labels.push(labelLayer(c.id + '-label', c.id, c.id, 11, null, ['coalesce', ['get', 'name'], title], colour.line,
          { visibility: visible ? 'visible' : 'none', 'text-size': 11 }));
        addToggle(c.id, title, colour.fill, visible, [c.id + '-fill', c.id + '-line', c.id + '-label'], c.id);
      });

      map.addSource('parcels', tiles('parcels'));
      map.addSource('parcel-points', { type: 'geojson', data: points(parcels, function (f) {
        return { id: f.id, gazette_no: f.properties.gazette_no, name: f.properties.name, short: shortName(f.properties.name), status: f.properties.status };
      }) });
      map.addLayer({ id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels', paint: { 'fill-color': parcelColour(), 'fill-opacity': parcelOpacity(0.85) } });
      map.addLayer({ id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels', paint: { 'line-color': '#1b1b1b', 'line-width': 1.5 } });
      map.addLayer({ id: 'parcels-dot', type: 'circle', source: 'parcel-points', maxzoom: 12, paint: {
        'circle-color': parcelColour(), 'circle-opacity': parcelOpacity(1), 'circle-radius': 6, 'circle-stroke-color': '#1b1b1b', 'circle-stroke-width': 1.5 } });
      labels.forEach(function (l) { map.addLayer(l); });
      map.addLayer(labelLayer('counties-label', 'county-points', null, 6, 11, ['get', 'name'], '#4a4a4a', { 'text-size': 14, 'text-letter-spacing': 0.2 }));
      map.addLayer(labelLayer('parcels-label', 'parcel-points', null, 8, null,
        ['step', ['zoom'], ['to-string', ['get', 'gazette_no']], 11, ['concat', ['to-string', ['get', 'gazette_no']], '号 ', ['get', 'short']]],
        '#111111', { 'text-size': ['step', ['zoom'], 12, 11, 13], 'text-anchor': 'left', 'text-offset': [0.8, 0], 'text-optional': false }));
      addToggle('parcels', KIND.parcels, STATUS_COLOURS.announced, true, ['parcels-fill', 'parcels-line', 'parcels-dot', 'parcels-label'], 'parcels');
      legend();

      var b = cols.filter(function (c) { return c.id === 'parcels'; })[0].extent.spatial.bbox[0];
      flyToBox(b);
      map.on('click', function (e) {
        if (state.drawing) return;
        var hits = hitsAt(e.point);
        if (hits.length) openHit(hits[0], e.lngLat, hits.slice(1));
      });
      map.on('mousemove', function (e) {
        if (state.drawing) return;
        map.getCanvas().style.cursor = hitsAt(e.point).some(function (h) { return h.collection !== 'counties'; }) ? 'pointer' : '';
      });
      // Reports are made elsewhere (the desk, the API): look again every
      // minute while the page is in view.
      setInterval(function () { if (document.visibilityState === 'visible') loadVerdicts().catch(function () {}); }, 60000);
      return loadVerdicts().catch(function (e) {
        document.getElementById('viewer').textContent = '核查结论读取失败: ' + e.message;
      });
    }).then(function () {
      if (state.error) return;
      map.once('idle', function () { state.ready = true; });
      map.triggerRepaint();
    }).catch(function (e) {
      document.getElementById('legend').textContent = '图层读取失败: ' + e.message;
      state.error = e.message;
    });
  });
  document.querySelectorAll('input[name=colour]').forEach(function (r) {
    r.addEventListener('click', function () { state.colourChosen = true; });
  });
})();
