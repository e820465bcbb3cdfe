// The minerights web map: parcels coloured by status or compliance verdict
// over the counties and the check layers, all from this server's vector
// tiles; no basemap and nothing from another host.
(function () {
  'use strict';
  var origin = window.location.origin;
  var statusColours = {
    registered: '#7f8c8d', announced: '#2e86de', in_sale: '#e67e22', sold: '#27ae60',
    failed: '#8e44ad', withdrawn: '#bdc3c7'
  };
  var verdictColours = { pass: '#27ae60', warn: '#f1c40f', fail: '#e74c3c' };
  var layerColours = {
    redline: '#e74c3c', farmland: '#f1c40f', mountain: '#16a085', mining_zone: '#3498db',
    mining_right: '#9b59b6', county: '#95a5a6'
  };
  var fallback = ['#d35400', '#1abc9c', '#c0392b', '#2c3e50', '#f39c12'];

  function match(prop, colours, other) {
    var m = ['match', ['coalesce', ['get', prop], '']];
    Object.keys(colours).forEach(function (k) { m.push(k, colours[k]); });
    m.push(other);
    return m;
  }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
      if (!r.ok) { var e = new Error(url + ': ' + r.status); e.status = r.status; throw e; }
      return r.json();
    });
  }

  var state = { colourBy: 'status', collections: [], ready: false };
  window.minerights = state;

  var map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0f2' } }] },
    center: [113.9, 32.9], zoom: 8, attributionControl: false, maxZoom: 20
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');

  function tiles(id) {
    return { type: 'vector', tiles: [origin + '/tiles/' + id + '/{z}/{x}/{y}.mvt'], minzoom: 0, maxzoom: 20 };
  }

  function addToggle(id, title, colour, visible, layerIds) {
    var label = document.createElement('label');
    var box = document.createElement('input');
    box.type = 'checkbox'; box.id = 'toggle-' + id; box.checked = visible;
    box.addEventListener('change', function () {
      layerIds.forEach(function (l) { map.setLayoutProperty(l, 'visibility', box.checked ? 'visible' : 'none'); });
    });
    var sw = document.createElement('span');
    sw.className = 'swatch'; sw.style.background = colour;
    label.appendChild(box); label.appendChild(sw); label.appendChild(document.createTextNode(' ' + title));
    document.getElementById('layers').appendChild(label);
  }

  function legend() {
    var colours = state.colourBy === 'verdict' ? verdictColours : statusColours;
    var html = '<div><b>' + (state.colourBy === 'verdict' ? 'Compliance verdict' : 'Status') + '</b></div>';
    Object.keys(colours).forEach(function (k) {
      html += '<div><span class="swatch" style="background:' + colours[k] + '"></span>' + esc(k) + '</div>';
    });
    if (state.colourBy === 'verdict') html += '<div><span class="swatch" style="background:#7f8c8d"></span>no report</div>';
    document.getElementById('legend').innerHTML = html;
  }

  function parcelColour() {
    return state.colourBy === 'verdict' ? match('verdict', verdictColours, '#7f8c8d') : match('status', statusColours, '#7f8c8d');
  }

  function setColourBy(v) {
    state.colourBy = v;
    ['parcels-fill', 'parcels-dot'].forEach(function (l) {
      if (map.getLayer(l)) map.setPaintProperty(l, l === 'parcels-fill' ? 'fill-color' : 'circle-color', parcelColour());
    });
    legend();
  }
  document.querySelectorAll('input[name=colour]').forEach(function (r) {
    r.addEventListener('change', function () { if (r.checked) setColourBy(r.value); });
  });

  // Parcels are a few hundred metres across: at city scale a dot marks
  // each one, drawn from the parcels' own features.
  function parcelDots(fc) {
    var pts = fc.features.map(function (f) {
      var ring = f.geometry.coordinates[0][0], x = 0, y = 0;
      ring.slice(1).forEach(function (p) { x += p[0]; y += p[1]; });
      return { type: 'Feature', id: f.id, properties: f.properties, geometry: { type: 'Point', coordinates: [x / (ring.length - 1), y / (ring.length - 1)] } };
    });
    return { type: 'FeatureCollection', features: pts };
  }

  function popupFor(id, lngLat) {
    var html = '<div class="popup" id="popup" data-parcel="' + esc(id) + '">Loading parcel ' + esc(id) + '…</div>';
    var popup = new maplibregl.Popup({ maxWidth: '360px' }).setLngLat(lngLat).setHTML(html).addTo(map);
    Promise.all([
      getJSON(origin + '/api/v1/parcels/' + id),
      getJSON(origin + '/ogc/collections/parcels/items/' + id + '?f=json').catch(function () { return null; }),
      getJSON(origin + '/api/v1/parcels/' + id + '/compliance').catch(function () { return null; })
    ]).then(function (res) {
      var p = res[0], feat = res[1], report = res[2];
      var props = feat ? feat.properties : {};
      var rows = [
        ['公告序号', p.gazette_no], ['矿种', p.mineral], ['县', p.county && p.county.name],
        ['面积 (km²)', p.area && (p.area.stated_km2 + ' (computed ' + p.area.computed_km2 + ')')],
        ['开采标高 (m)', p.elevation ? p.elevation.top_m + ' – ' + p.elevation.bottom_m : 'not stated'],
        ['起始价', p.starting_price ? p.starting_price.wan_yuan + ' 万元 (' + p.starting_price.capital + ')' : ''],
        ['Status', p.status]
      ];
      (p.reserves || []).forEach(function (r) {
        rows.push(['资源量', r.commodity + ' ' + r.quantity + ' ' + r.unit + (r.category ? ' (' + r.category + ')' : '')]);
      });
      var verdict = (report && report.verdict) || props.verdict;
      var out = '<h2>' + esc(p.name) + '</h2><table>' + rows.map(function (r) {
        return '<tr><td>' + esc(r[0]) + '</td><td>' + esc(r[1]) + '</td></tr>';
      }).join('') + '</table>';
      out += '<p class="compliance">Compliance: ' + (verdict ? '<b class="verdict-' + esc(verdict) + '">' + esc(verdict) + '</b>' : 'no report yet') + '</p>';
      if (report && report.stale) out += '<p class="stale">Report is stale: ' + esc(report.stale_reason) + '</p>';
      var reasons = (report && report.reasons) || [];
      if (reasons.length) {
        out += '<ul class="reasons">' + reasons.map(function (r) {
          return '<li>' + esc(typeof r === 'string' ? r : (r.reason || JSON.stringify(r))) + '</li>';
        }).join('') + '</ul>';
      }
      var sale = props.sale_state;
      out += '<p class="sale">Sale: ' + (sale ? esc(sale) : 'none') + '</p>';
      getJSON(origin + '/api/v1/sales?parcel_id=' + id).then(function (s) {
        var list = (s.items || s.sales || []).filter(function (x) { return x.parcel_id === Number(id); });
        if (list.length) {
          var el = document.querySelector('#popup .sale');
          if (el) el.innerHTML = 'Sale: ' + esc(list[0].state) + ' · <a href="/map/sale.html?id=' + list[0].id + '">live sale page</a>';
        }
      }).catch(function () {});
      document.getElementById('popup').innerHTML = out;
      document.getElementById('popup').dataset.loaded = 'true';
    }).catch(function (e) {
      document.getElementById('popup').textContent = 'Could not load parcel ' + id + ': ' + e.message;
    });
    return popup;
  }
  state.popupFor = popupFor;

  map.on('load', function () {
    Promise.all([
      getJSON(origin + '/ogc/collections?f=json'),
      getJSON(origin + '/ogc/collections/parcels/items?f=json&limit=1000')
    ]).then(function (res) {
      var cols = res[0].collections, parcels = res[1];
      state.collections = cols;
      state.parcelCount = parcels.features.length;
      map.addSource('counties', tiles('counties'));
      map.addLayer({ id: 'counties-fill', type: 'fill', source: 'counties', 'source-layer': 'counties', paint: { 'fill-color': '#fdfcf7', 'fill-opacity': 1 } });
      map.addLayer({ id: 'counties-line', type: 'line', source: 'counties', 'source-layer': 'counties', paint: { 'line-color': '#8a8f98', 'line-width': 1.2 } });
      addToggle('counties', 'Counties (县区)', '#fdfcf7', true, ['counties-fill', 'counties-line']);
      var i = 0;
      cols.forEach(function (c) {
        if (c.id === 'parcels' || c.id === 'counties' || c.id === 'sales') return;
        var kind = (c.description.match(/kind (\w+)/) || [])[1];
        var colour = layerColours[kind] || fallback[i++ % fallback.length];
        var visible = c.id === 'redlines';
        map.addSource(c.id, tiles(c.id));
        map.addLayer({ id: c.id + '-fill', type: 'fill', source: c.id, 'source-layer': c.id, layout: { visibility: visible ? 'visible' : 'none' }, paint: { 'fill-color': colour, 'fill-opacity': 0.35 } });
        map.addLayer({ id: c.id + '-line', type: 'line', source: c.id, 'source-layer': c.id, layout: { visibility: visible ? 'visible' : 'none' }, paint: { 'line-color': colour, 'line-width': 0.8 } });
        addToggle(c.id, c.title, colour, visible, [c.id + '-fill', c.id + '-line']);
      });
      map.addSource('parcels', tiles('parcels'));
      map.addSource('parcel-dots', { type: 'geojson', data: parcelDots(parcels) });
      map.addLayer({ id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels', paint: { 'fill-color': parcelColour(), 'fill-opacity': 0.75 } });
      map.addLayer({ id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels', paint: { 'line-color': '#222', 'line-width': 1.5 } });
      map.addLayer({ id: 'parcels-dot', type: 'circle', source: 'parcel-dots', maxzoom: 12, paint: {
        'circle-color': parcelColour(), 'circle-radius': 6, 'circle-stroke-color': '#222', 'circle-stroke-width': 1.5 } });
      addToggle('parcels', 'Parcels (地块)', statusColours.announced, true, ['parcels-fill', 'parcels-line', 'parcels-dot']);
      legend();
      var b = cols.filter(function (c) { return c.id === 'parcels'; })[0].extent.spatial.bbox[0];
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 60, bottom: 60, left: 300, right: 60 }, duration: 0 });
      ['parcels-fill', 'parcels-dot'].forEach(function (l) {
        map.on('click', l, function (e) {
          var f = e.features[0];
          var id = f.id != null ? f.id : f.properties.id;
          popupFor(id, e.lngLat);
        });
        map.on('mouseenter', l, function () { map.getCanvas().style.cursor = 'pointer'; });
        map.on('mouseleave', l, function () { map.getCanvas().style.cursor = ''; });
      });
      map.once('idle', function () { state.ready = true; });
    }).catch(function (e) {
      document.getElementById('legend').textContent = 'Could not load the layers: ' + e.message;
      state.error = e.message;
    });
  });
})();
