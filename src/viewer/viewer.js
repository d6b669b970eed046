// frontmap web viewer: raster tiles + the dated layers of window.FRONTMAP, filtered by a date slider.
// Paint (colours, widths, radii, dashes) was evaluated from the style by frontmap at build time, per
// feature and per Leaflet zoom; this script only looks it up. MapLibre zoom = Leaflet zoom - 1.
(function () {
  'use strict';
  var D = window.FRONTMAP;
  var MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre',
    'octobre', 'novembre', 'décembre'];
  var TRANSPARENT = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

  function fmtDay(iso) {
    var y = +iso.slice(0, 4), m = +iso.slice(5, 7), d = +iso.slice(8, 10);
    return (d === 1 ? '1er' : String(d)) + ' ' + MONTHS[m - 1] + ' ' + y;
  }
  function fmtRange(s, e) {
    if (!s) return '';
    if (!e || e === s) return fmtDay(s);
    return fmtDay(s) + ' – ' + fmtDay(e);
  }
  function dayNum(iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86400000; }
  function isoOf(n) { return new Date(n * 86400000).toISOString().slice(0, 10); }
  function at(v, z) {
    if (Array.isArray(v)) return v[Math.max(0, Math.min(v.length - 1, Math.round(z)))];
    return v;
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- map and tiles
  var map = L.map('map', { minZoom: D.minZoom, maxZoom: D.maxZoom, zoomSnap: 1 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  D.tiles.forEach(function (t, i) {
    L.tileLayer(t.url, {
      minZoom: t.minZoom, minNativeZoom: t.minNativeZoom, maxNativeZoom: t.maxNativeZoom, maxZoom: t.maxZoom,
      bounds: t.bounds, errorTileUrl: TRANSPARENT, className: 'fm-tiles',
      attribution: i === 0 ? esc(D.attribution) : ''
    }).addTo(map);
  });
  map.fitBounds(D.focus);

  // ---- dates
  var hasDates = !!(D.dates.min && D.dates.max);
  var first = hasDates ? dayNum(D.dates.min) : 0, last = hasDates ? dayNum(D.dates.max) : 0;
  var state = { day: hasDates ? D.dates.max : null, onlyDay: false };

  function shown(src, f) {
    var p = f.properties || {};
    var s = p.date_start || null, e = p.date_end || s;
    if (!state.day || (!s && !e)) return true;
    if (D.sources[src] && D.sources[src].cumulative && !state.onlyDay) return !s || s <= state.day;
    return (!s || s <= state.day) && (!e || e >= state.day);
  }

  // ---- geometry helpers (pixel space, as the renderer)
  function chaikin(pts, n) {
    for (var k = 0; k < n && pts.length >= 3; k++) {
      var out = [pts[0]];
      for (var i = 0; i + 1 < pts.length; i++) {
        var a = pts[i], b = pts[i + 1];
        out.push(L.point(0.75 * a.x + 0.25 * b.x, 0.75 * a.y + 0.25 * b.y));
        out.push(L.point(0.25 * a.x + 0.75 * b.x, 0.25 * a.y + 0.75 * b.y));
      }
      out.push(pts[pts.length - 1]);
      pts = out;
    }
    return pts;
  }
  function trimEnd(pts, d) {
    pts = pts.slice();
    var left = d;
    while (pts.length >= 2 && left > 0) {
      var n = pts.length, a = pts[n - 2], b = pts[n - 1], seg = a.distanceTo(b);
      if (seg > left) {
        var t = (seg - left) / seg;
        pts[n - 1] = L.point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
        break;
      }
      pts.pop();
      left -= seg;
    }
    return pts;
  }
  function lines(g) {
    var ll = function (c) { return [c[1], c[0]]; };
    switch (g.type) {
      case 'LineString': return [g.coordinates.map(ll)];
      case 'MultiLineString': return g.coordinates.map(function (l) { return l.map(ll); });
      case 'Polygon': return g.coordinates.map(function (r) { return r.map(ll); });
      case 'MultiPolygon': return [].concat.apply([], g.coordinates.map(function (p) { return p.map(function (r) { return r.map(ll); }); }));
      default: return [];
    }
  }
  function polygons(g) {
    var ll = function (c) { return [c[1], c[0]]; };
    if (g.type === 'Polygon') return [g.coordinates.map(function (r) { return r.map(ll); })];
    if (g.type === 'MultiPolygon') return g.coordinates.map(function (p) { return p.map(function (r) { return r.map(ll); }); });
    return [];
  }
  function points(g) {
    if (g.type === 'Point') return [[g.coordinates[1], g.coordinates[0]]];
    if (g.type === 'MultiPoint') return g.coordinates.map(function (c) { return [c[1], c[0]]; });
    return [];
  }

  // ---- popups
  function dl(rows) {
    var d = el('dl');
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === '') return;
      d.appendChild(el('dt', null, r[0]));
      d.appendChild(el('dd', null, r[1]));
    });
    return d;
  }
  function quote(box, text, source) {
    if (!text) return;
    box.appendChild(el('blockquote', 'fm-quote', '« ' + text + ' »'));
    if (source) box.appendChild(el('div', 'fm-src', source));
  }
  function popup(src, f) {
    var p = f.properties || {};
    var box = el('div', 'fm-popup');
    if (p.event_type) {
      var kind = p.sub_event_type && p.sub_event_type !== 'Other' ? p.sub_event_type : p.event_type;
      box.appendChild(el('h2', null, (p.place_name || p.place || 'Événement') + ' — ' + kind));
      box.appendChild(dl([
        ['Date', fmtRange(p.date_start, p.date_end) + (p.date_precision && p.date_precision !== 'day' ? ' (précision : ' + p.date_precision + ')' : '')],
        ['Type', p.event_type + (p.sub_event_type ? ' / ' + p.sub_event_type : '')],
        ['Acteur 1', p.actor1], ['Acteur 2', p.actor2],
        ['Victimes', p.fatalities], ['Lieu', p.place_name]
      ]));
      (p.sources || []).forEach(function (s) { quote(box, s.quote, s.article); });
    } else if (src === 'fronts' || p.direction !== undefined || p.objective !== undefined) {
      box.appendChild(el('h2', null, p.kind === 'arrow' ? "Axe d'attaque" : (p.kind === 'front_line' ? 'Ligne de front' : (p.kind || 'Front'))));
      box.appendChild(dl([
        ['Dates', fmtRange(p.date_start, p.date_end)], ['Acteur', p.actor], ['Direction', p.direction],
        ['Objectif', p.objective], ['Tracé', p.schematic ? 'schématique' : null]
      ]));
      quote(box, p.quote, p.article);
      (p.sources || []).forEach(function (s) { quote(box, s.quote, s.article); });
    } else {
      box.appendChild(el('h2', null, p.kind === 'pocket' ? "Poche tenue par l'EI" : (p.name || p.kind || 'Zone')));
      box.appendChild(dl([
        ['Dates', fmtRange(p.date_start, p.date_end)], ['Tenue par', p.controller], ['Construction', p.derivation]
      ]));
      quote(box, p.quote, p.article);
      (p.sources || []).forEach(function (s) { quote(box, s.quote, s.article); });
    }
    return box;
  }

  // ---- overlay drawing: every layer, in style order, rebuilt on zoom and date changes
  var overlay = L.featureGroup().addTo(map);
  var counts = {};
  function styleOf(p, z, layer, src) {
    var o = {};
    Object.keys(p).forEach(function (k) { o[k] = at(p[k], z); });
    if (o.dashArray === null) delete o.dashArray;
    o.className = 'fm-layer-' + layer.id + ' fm-src-' + src;
    return o;
  }
  function onClick(src, f) {
    return function (e) {
      L.popup({ maxWidth: 340 }).setLatLng(e.latlng).setContent(popup(src, f)).openOn(map);
    };
  }
  function spread(dots, gap) {
    var groups = [];
    dots.forEach(function (d, i) {
      var g = null;
      for (var k = 0; k < groups.length; k++) {
        if (Math.abs(groups[k].c.x - d.pt.x) < 1 && Math.abs(groups[k].c.y - d.pt.y) < 1) { g = groups[k]; break; }
      }
      if (g) g.m.push(i); else groups.push({ c: d.pt, m: [i] });
    });
    groups.forEach(function (g) {
      var n = g.m.length;
      if (n < 2) return;
      var r = 0;
      g.m.forEach(function (i) { r = Math.max(r, dots[i].r); });
      var ring = Math.max((r + gap / 2) / Math.sin(Math.PI / n), r * 1.6);
      g.m.forEach(function (i, k) {
        var a = -Math.PI / 2 + 2 * Math.PI * k / n;
        dots[i].pt = L.point(g.c.x + ring * Math.cos(a), g.c.y + ring * Math.sin(a));
      });
    });
  }
  function draw() {
    overlay.clearLayers();
    counts = {};
    var lz = map.getZoom(), sz = Math.max(lz - 1, 0);
    D.layers.forEach(function (layer) {
      if (sz < layer.minzoom || (layer.maxzoom !== null && sz >= layer.maxzoom)) return;
      var feats = (D.sources[layer.source] || { features: [] }).features;
      var n = 0;
      var dots = [];
      layer.items.forEach(function (it) {
        var f = feats[it.f];
        if (!f || !shown(layer.source, f)) return;
        n++;
        var o = styleOf(it.p, lz, layer, layer.source), click = onClick(layer.source, f);
        if (layer.type === 'fill') {
          polygons(f.geometry).forEach(function (rings) { L.polygon(rings, o).on('click', click).addTo(overlay); });
        } else if (layer.type === 'line' && layer.arrow) {
          var a = layer.arrow, w = o.weight, len = a.headLength * w, half = a.headWidth * w / 2;
          lines(f.geometry).forEach(function (line) {
            var pts = line.map(function (c) { return map.latLngToLayerPoint(c); });
            if (pts.length < 2) return;
            var smooth = a.smooth ? chaikin(pts, 4) : pts;
            var tip = pts[pts.length - 1], base = trimEnd(smooth, len).pop();
            var dx = tip.x - base.x, dy = tip.y - base.y, dd = Math.sqrt(dx * dx + dy * dy);
            var shaft = trimEnd(smooth, len * 0.8).map(function (p) { return map.layerPointToLatLng(p); });
            L.polyline(shaft, o).on('click', click).addTo(overlay);
            if (dd > 1e-6) {
              var ux = dx / dd, uy = dy / dd, b = L.point(tip.x - ux * len, tip.y - uy * len);
              var head = [tip, L.point(b.x - uy * half, b.y + ux * half), L.point(b.x - ux * len * 0.15, b.y - uy * len * 0.15),
                L.point(b.x + uy * half, b.y - ux * half)].map(function (p) { return map.layerPointToLatLng(p); });
              L.polygon(head, { stroke: false, fill: true, fillColor: o.color, fillOpacity: o.opacity, className: o.className })
                .on('click', click).addTo(overlay);
            }
          });
        } else if (layer.type === 'line') {
          lines(f.geometry).forEach(function (line) { L.polyline(line, o).on('click', click).addTo(overlay); });
        } else if (layer.type === 'circle') {
          points(f.geometry).forEach(function (c) {
            dots.push({ pt: map.latLngToLayerPoint(c), r: o.radius, o: o, click: click });
          });
        }
      });
      if (layer.spread) spread(dots, 1.5);
      dots.forEach(function (d) {
        L.circleMarker(map.layerPointToLatLng(d.pt), d.o).on('click', d.click).addTo(overlay);
      });
      counts[layer.id] = n;
    });
    var ev = 0;
    Object.keys(D.sources).forEach(function (s) {
      if (!D.sources[s].cumulative) return;
      D.sources[s].features.forEach(function (f) { if (shown(s, f)) ev++; });
    });
    countBox.textContent = ev + ' événement' + (ev > 1 ? 's' : '') + ' affiché' + (ev > 1 ? 's' : '');
    api.events = ev;
  }

  // ---- panel: title, date slider, legend
  var panel = L.control({ position: 'topright' });
  var countBox = el('div', 'fm-count');
  var slider, dateBox;
  panel.onAdd = function () {
    var box = el('div', 'fm-panel');
    box.appendChild(el('h1', null, D.title));
    if (hasDates) {
      dateBox = el('div', 'fm-date');
      dateBox.id = 'fm-date-label';
      box.appendChild(dateBox);
      slider = el('input');
      slider.type = 'range';
      slider.id = 'fm-date';
      slider.min = '0';
      slider.max = String(last - first);
      slider.step = '1';
      slider.value = String(last - first);
      slider.setAttribute('aria-label', 'Date');
      slider.addEventListener('input', function () { setDay(isoOf(first + (+slider.value))); });
      box.appendChild(slider);
      var row = el('div', 'fm-row');
      var only = el('input');
      only.type = 'checkbox';
      only.id = 'fm-only-day';
      only.addEventListener('change', function () { state.onlyDay = only.checked; draw(); });
      var lab = el('label', null, 'événements de ce jour seulement');
      lab.htmlFor = 'fm-only-day';
      row.appendChild(only);
      row.appendChild(lab);
      box.appendChild(row);
      var row2 = el('div', 'fm-row');
      var play = el('button', null, '▶ lecture');
      play.type = 'button';
      var timer = null;
      play.addEventListener('click', function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = '▶ lecture'; return; }
        if (+slider.value >= last - first) slider.value = '0';
        setDay(isoOf(first + (+slider.value)));
        play.textContent = '❚❚ pause';
        timer = setInterval(function () {
          if (+slider.value >= last - first) { clearInterval(timer); timer = null; play.textContent = '▶ lecture'; return; }
          slider.value = String(+slider.value + 1);
          setDay(isoOf(first + (+slider.value)));
        }, 700);
      });
      row2.appendChild(play);
      row2.appendChild(el('span', null, fmtDay(D.dates.min) + ' → ' + fmtDay(D.dates.max)));
      box.appendChild(row2);
    }
    box.appendChild(countBox);
    box.appendChild(legend());
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };

  function swatch(entry) {
    var NS = 'http://www.w3.org/2000/svg', p = entry.paint, z = map.getZoom();
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('width', '34');
    svg.setAttribute('height', '16');
    function add(tag, attrs) {
      var e = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); });
      svg.appendChild(e);
    }
    if (entry.kind === 'circle') {
      var r = Math.min(at(p.radius, z), 7);
      add('circle', { cx: 17, cy: 8, r: r, fill: at(p.fillColor, z), 'fill-opacity': at(p.fillOpacity, z),
        stroke: at(p.color, z), 'stroke-opacity': at(p.opacity, z), 'stroke-width': Math.min(at(p.weight, z), 2.5) });
    } else if (entry.kind === 'fill') {
      add('rect', { x: 3, y: 2, width: 28, height: 12, fill: at(p.fillColor, z), 'fill-opacity': Math.max(at(p.fillOpacity, z), 0.25),
        stroke: p.color ? at(p.color, z) : '#999', 'stroke-width': 1 });
    } else if (entry.kind === 'arrow') {
      var w = Math.min(at(p.weight, z), 4);
      add('line', { x1: 2, y1: 8, x2: 22, y2: 8, stroke: at(p.color, z), 'stroke-width': w, 'stroke-linecap': 'round' });
      add('polygon', { points: '32,8 21,2 23,8 21,14', fill: at(p.color, z) });
    } else {
      var da = at(p.dashArray, z);
      add('line', { x1: 2, y1: 8, x2: 32, y2: 8, stroke: at(p.color, z), 'stroke-opacity': at(p.opacity, z),
        'stroke-width': Math.min(at(p.weight, z), 3), 'stroke-dasharray': da ? da : null });
    }
    return svg;
  }
  function legend() {
    var box = el('div', 'fm-legend');
    D.legend.forEach(function (entry) {
      var row = el('div');
      row.appendChild(swatch(entry));
      row.appendChild(el('span', null, entry.label));
      box.appendChild(row);
    });
    return box;
  }

  function setDay(iso) {
    if (!hasDates) return;
    var n = Math.max(first, Math.min(last, dayNum(iso)));
    state.day = isoOf(n);
    if (slider) slider.value = String(n - first);
    if (dateBox) dateBox.textContent = fmtDay(state.day);
    draw();
  }

  var api = { map: map, events: 0, ready: false, setDay: setDay, state: state, counts: function () { return counts; } };
  window.frontmap = api;
  panel.addTo(map);
  map.on('zoomend', draw);
  if (hasDates) setDay(D.dates.max); else draw();
  api.ready = true;
})();
