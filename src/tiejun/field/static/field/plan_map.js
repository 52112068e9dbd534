// The route on a Leaflet map: numbered stops joined in order, start and end; no tiles unless
// TIEJUN_MAP_TILES names a tile server (offline by default).
(function () {
  var el = document.getElementById("plan-map");
  var data = document.getElementById("plan-points");
  if (!el || !data || typeof L === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  var map = L.map(el, {zoomControl: true});
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, {maxZoom: 19}).addTo(map); }
  var line = [];
  if (points.start) {
    L.circleMarker(points.start, {radius: 9, color: "#fff", weight: 2, fillColor: "#2c3e50", fillOpacity: 1}).addTo(map);
    line.push(points.start);
  }
  points.stops.forEach(function (p, i) {
    var marker = L.marker([p.lat, p.lon], {
      icon: L.divIcon({className: "plan-pin", html: "<b style=\"display:inline-block;background:#c0392b;color:#fff;border-radius:50%;width:22px;height:22px;line-height:22px;text-align:center\">" + (i + 1) + "</b>", iconSize: [22, 22]})
    }).addTo(map);
    // A customer's name is user text: a text node, never HTML (Leaflet sets a string as innerHTML).
    var label = document.createElement("span");
    label.textContent = (i + 1) + ". " + p.name;
    marker.bindTooltip(label);
    line.push([p.lat, p.lon]);
  });
  if (points.start) { line.push(points.end || points.start); }
  if (points.end) {
    L.circleMarker(points.end, {radius: 9, color: "#fff", weight: 2, fillColor: "#7f8c8d", fillOpacity: 1}).addTo(map);
  }
  if (line.length > 1) { L.polyline(line, {color: "#2980b9", weight: 3}).addTo(map); }
  if (line.length) { map.fitBounds(line, {padding: [30, 30], maxZoom: 15}); }
  else { map.setView([30.27, 120.15], 11); }
  window.planMap = map;
})();
