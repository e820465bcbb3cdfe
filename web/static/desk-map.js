// The desk's parcel map (zh-CN): the planner's MapLibre map, here drawing
// one parcel, its corner numbers and the overlaps of its latest compliance
// report, each labelled with its area. The page gives the data as the JSON
// block #desk-map-data (web/pages/desk_map.go); nothing is fetched from
// another host unless the server is configured with a base map
// (/map/config.json), and labels are drawn with the browser's own fonts, as
// on the planner's map. The desk's pages allow scripts only from 'self', so
// MapLibre's worker is loaded as a file, not from a blob.
(function () {
  'use strict';
  var el = document.getElementById('desk-map');
  var dataEl = document.getElementById('desk-map-data');
  if (!el || !dataEl || !window.maplibregl) return;
  var data = JSON.parse(dataEl.textContent);
  var FONT = ['Noto Sans CJK SC Regular', 'WenQuanYi Zen Hei', 'sans-serif'];
  var COLOUR = { parcel: '#1f5fbf', fail: '#c0162b', warn: '#d98200' };
  maplibregl.setWorkerUrl('/map/maplibre-gl-csp-worker.js');

  var west = 180, south = 90, east = -180, north = -90;
  function extend(c) {
    if (typeof c[0] === 'number') {
      west = Math.min(west, c[0]); east = Math.max(east, c[0]);
      south = Math.min(south, c[1]); north = Math.max(north, c[1]);
      return;
    }
    c.forEach(extend);
  }
  data.parcel.features.forEach(function (f) { extend(f.geometry.coordinates); });
  if (west > east) return;

  el.dataset.state = 'loading';
  var map;
  try {
    map = new maplibregl.Map({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f6f8' } }] },
      bounds: [[west, south], [east, north]], fitBoundsOptions: { padding: 48 }, maxZoom: 19,
      attributionControl: false, cooperativeGestures: false,
      localIdeographFontFamily: '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", sans-serif',
      locale: {
        'Map.Title': '地图', 'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小',
        'NavigationControl.ResetBearing': '拖动旋转地图, 点击恢复正北', 'Popup.Close': '关闭',
        'ScaleControl.Kilometers': '千米', 'ScaleControl.Meters': '米',
        'AttributionControl.ToggleAttribution': '版权信息', 'AttributionControl.MapFeedback': '地图反馈'
      }
    });
  } catch (e) {
    // No WebGL: the corner table and the overlap table below say it all.
    el.dataset.state = 'no-webgl';
    el.textContent = '此浏览器无法显示地图（不支持 WebGL）；拐点坐标和重叠面积见下表。';
    return;
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');

  function label(id, source, filter, field, colour, extra) {
    var l = {
      id: id, type: 'symbol', source: source,
      layout: Object.assign({ 'text-field': field, 'text-font': FONT, 'text-size': 12, 'text-max-width': 14, 'text-padding': 2 }, extra || {}),
      paint: { 'text-color': colour, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 }
    };
    if (filter) l.filter = filter;
    return l;
  }
  map.on('load', function () {
    fetch('/map/config.json', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; }).then(function (config) {
      if (config && config.basemap && config.basemap.tiles) {
        map.addSource('basemap', { type: 'raster', tiles: config.basemap.tiles, tileSize: 256, maxzoom: config.basemap.maxzoom || 18, attribution: config.basemap.attribution || '' });
        map.addLayer({ id: 'basemap', type: 'raster', source: 'basemap' }, 'parcel-fill');
        map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
      }
    });
    map.addSource('parcel', { type: 'geojson', data: data.parcel });
    map.addSource('overlaps', { type: 'geojson', data: data.overlaps });
    var isParcel = ['==', ['get', 'kind'], 'parcel'], isCorner = ['==', ['get', 'kind'], 'corner'];
    var sev = ['match', ['get', 'severity'], 'fail', COLOUR.fail, COLOUR.warn];
    map.addLayer({ id: 'parcel-fill', type: 'fill', source: 'parcel', filter: isParcel, paint: { 'fill-color': COLOUR.parcel, 'fill-opacity': 0.12 } });
    map.addLayer({ id: 'overlap-fill', type: 'fill', source: 'overlaps', paint: { 'fill-color': sev, 'fill-opacity': 0.55 } });
    map.addLayer({ id: 'overlap-line', type: 'line', source: 'overlaps', paint: { 'line-color': sev, 'line-width': 2 } });
    map.addLayer({ id: 'parcel-line', type: 'line', source: 'parcel', filter: isParcel, paint: { 'line-color': COLOUR.parcel, 'line-width': 2.5 } });
    map.addLayer({ id: 'corner-dot', type: 'circle', source: 'parcel', filter: isCorner,
      paint: { 'circle-radius': 3.5, 'circle-color': '#ffffff', 'circle-stroke-color': COLOUR.parcel, 'circle-stroke-width': 2 } });
    map.addLayer(label('corner-label', 'parcel', isCorner, ['get', 'label'], '#0b2e66',
      { 'text-offset': [0.9, -0.9], 'text-anchor': 'bottom-left', 'text-allow-overlap': true, 'text-size': 13 }));
    map.addLayer(label('overlap-label', 'overlaps', null, ['get', 'label'], '#5c0a14', { 'symbol-placement': 'point', 'text-size': 12 }));
    map.once('idle', function () {
      el.dataset.state = 'loaded';
      el.dataset.overlaps = String(map.queryRenderedFeatures({ layers: ['overlap-fill'] }).length);
      el.dataset.corners = String(map.queryRenderedFeatures({ layers: ['corner-dot'] }).length);
      el.dataset.parcel = String(map.queryRenderedFeatures({ layers: ['parcel-line'] }).length);
      el.dataset.labels = String(map.queryRenderedFeatures({ layers: ['corner-label', 'overlap-label'] }).length);
    });
  });
  map.on('error', function (e) { el.dataset.error = String(e && e.error && e.error.message || e); });
  window.deskMap = map;
})();
