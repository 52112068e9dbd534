// The route on a Leaflet map: numbered stops joined in order, start and end; no tiles unless
// TIEJUN_MAP_TILES names a tile server (then a clean street-less map: stops, route and a scale).
// And "start from my location": the phone's position becomes the day's start.
(function () {
  var el = document.getElementById("plan-map");
  var data = document.getElementById("plan-points");
  if (el && data && typeof L !== "undefined") { drawMap(el, JSON.parse(data.textContent)); }
  startHere();

  // Who must be named under the map, by tile server (their terms of use ask for it).
  function attribution(url) {
    if (/openstreetmap\.org/.test(url)) { return "© OpenStreetMap contributors"; }
    if (/autonavi\.com|amap\.com/.test(url)) { return "© 高德地图 AutoNavi"; }
    if (/tianditu/.test(url)) { return "© 天地图"; }
    return "";
  }

  function drawMap(el, points) {
    var map = L.map(el, {zoomControl: true, attributionControl: !!el.dataset.tiles});
    if (el.dataset.tiles) {
      var url = el.dataset.tiles;
      // AMap's tile hosts are numbered webrd01…04, not lettered.
      var subdomains = /autonavi\.com/.test(url) ? "1234" : "abc";
      L.tileLayer(url, {maxZoom: 19, subdomains: subdomains, attribution: attribution(url)}).addTo(map);
      el.classList.add("has-tiles");
    }
    L.control.scale({imperial: false}).addTo(map);
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
  }

  // The phone's position fills the start of the settings form, which is then saved.
  function startHere() {
    var button = document.getElementById("start-here");
    var form = document.getElementById("plan-settings-form");
    var status = document.getElementById("start-here-status");
    if (!button || !form || !navigator.geolocation) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.start_lat.value = position.coords.latitude.toFixed(6);
        form.elements.start_lon.value = position.coords.longitude.toFixed(6);
        form.elements.start_label.value = button.dataset.label;
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = "action";
        action.value = "settings";
        form.appendChild(action);
        form.submit();
      }, function () {
        button.disabled = false;
        if (status) { status.textContent = button.dataset.error; }
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
})();
