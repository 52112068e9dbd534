// Report in at the office: take the phone's position, then send the form (the server checks
// the office's geofence).
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const status = document.getElementById("report-status");
  let located = false;
  form.addEventListener("submit", (event) => {
    if (located) return;
    event.preventDefault();
    if (!navigator.geolocation) {
      status.textContent = form.dataset.noGeo;
      return;
    }
    status.textContent = form.dataset.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        form.elements.lat.value = pos.coords.latitude;
        form.elements.lon.value = pos.coords.longitude;
        form.elements.accuracy_m.value = pos.coords.accuracy;
        located = true;
        form.submit();
      },
      (err) => { status.textContent = err.message; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
    );
  });
})();
