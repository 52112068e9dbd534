// Tiejun check-in page: take the position, queue the check-in in IndexedDB under its own UUID,
// send the queue whenever the network is there. The server is idempotent on the UUID, so a
// check-in sent twice (a retry after a lost answer) is stored once; nothing is dropped until the
// server has answered for it.
(function () {
  "use strict";

  const form = document.getElementById("checkin-form");
  if (!form) return;
  const T = document.getElementById("checkin-text").dataset;
  const API = form.dataset.api;
  const DB_NAME = "tiejun-checkin";
  const RETRY_MS = 10000;
  let position = null;
  let syncing = false;

  // --- IndexedDB ------------------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", { keyPath: "id" });
        if (!db.objectStoreNames.contains("rejected")) db.createObjectStore("rejected", { keyPath: "id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  const dbp = openDb();

  async function tx(store, mode, fn) {
    const db = await dbp;
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = fn(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }
  const put = (store, item) => tx(store, "readwrite", (s) => s.put(item));
  const del = (store, id) => tx(store, "readwrite", (s) => s.delete(id));
  const all = (store) => tx(store, "readonly", (s) => s.getAll());

  // --- helpers --------------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function say(text, error) {
    const el = document.getElementById("status");
    el.textContent = text;
    el.classList.toggle("error", !!error);
  }
  // What the server says the rep should know at once (outside the geofence, held for approval).
  function warn(customerLabel, warnings) {
    const list = document.getElementById("warnings");
    (warnings || []).forEach((text) => list.append(el("li", { class: "warning" }, `${customerLabel}: ${text}`)));
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function hhmm(iso) {
    const d = new Date(iso);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  // --- position -------------------------------------------------------------------------------
  function locate() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) {
        reject(new Error(T.noGeo));
        return;
      }
      document.getElementById("position").textContent = T.locating;
      navigator.geolocation.getCurrentPosition(
        (pos) => {
          position = {
            lat: pos.coords.latitude,
            lon: pos.coords.longitude,
            accuracy_m: pos.coords.accuracy,
            position_at: new Date(pos.timestamp || Date.now()).toISOString(),
          };
          document.getElementById("position").textContent =
            `${position.lat.toFixed(6)}, ${position.lon.toFixed(6)} · ${T.accuracy} ${Math.round(position.accuracy_m)} m`;
          resolve(position);
        },
        (err) => {
          document.getElementById("position").textContent = `${T.geoFailed} ${err.message}`;
          reject(new Error(`${T.geoFailed} ${err.message}`));
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
      );
    });
  }

  // --- the queue on the page ------------------------------------------------------------------
  async function render() {
    const queue = await all("queue");
    const rejected = await all("rejected");
    document.getElementById("queue-count").textContent = String(queue.length);
    const list = document.getElementById("queue-list");
    list.replaceChildren();
    if (!queue.length) list.append(el("li", { class: "muted empty" }, form.dataset.empty || "—"));
    queue
      .sort((a, b) => a.checkin_at.localeCompare(b.checkin_at))
      .forEach((item) => {
        list.append(el("li", { class: "queued", "data-id": item.id }, `${item.customer_label} · ${hhmm(item.checkin_at)}`));
      });
    const bad = document.getElementById("rejected-list");
    bad.replaceChildren();
    rejected.forEach((item) => {
      const li = el("li", { "data-id": item.id }, `${item.customer_label} · ${hhmm(item.checkin_at)} — ${T.rejected} ${item.error} `);
      const button = el("button", { type: "button", class: "btn btn-ghost" }, T.discard);
      button.addEventListener("click", async () => {
        await del("rejected", item.id);
        render();
      });
      li.append(button);
      bad.append(li);
    });
  }

  function showVisit(v) {
    const list = document.getElementById("visit-list");
    if (list.querySelector(`[data-id="${v.id}"]`)) return;
    list.querySelectorAll(".empty").forEach((n) => n.remove());
    const li = el("li", { class: "visit", "data-id": v.id });
    li.append(el("strong", {}, v.customer_name), el("span", { class: "muted" }, hhmm(v.checkin_at)));
    if (v.distance_m !== null) li.append(el("span", { class: "small" }, `${v.distance_m} m`));
    if (v.outside_geofence) li.append(el("span", { class: "badge flag" }, T.outside));
    if (v.poor_accuracy) li.append(el("span", { class: "badge flag" }, T.poor));
    if (v.stale_position) li.append(el("span", { class: "badge flag" }, T.stale));
    if (v.approval === "pending") li.append(el("span", { class: "badge badge-muted" }, T.held));
    list.append(li);
  }

  // --- sending --------------------------------------------------------------------------------
  async function send(item) {
    const body = new FormData();
    ["id", "customer_code", "lat", "lon", "accuracy_m", "position_at", "checkin_at"].forEach((k) => {
      if (item[k] !== null && item[k] !== undefined) body.append(k, String(item[k]));
    });
    if (item.photo) body.append("photo", item.photo, item.photo_name || "photo.jpg");
    const res = await fetch(API, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    return { status: res.status, data };
  }

  async function sync() {
    if (syncing) return;
    syncing = true;
    try {
      const queue = (await all("queue")).sort((a, b) => a.checkin_at.localeCompare(b.checkin_at));
      for (const item of queue) {
        let result;
        try {
          result = await send(item);
        } catch (e) {
          setNet(false);
          break; // no network: keep everything, try again later
        }
        setNet(true);
        if (result.status === 200 || result.status === 201) {
          await del("queue", item.id);
          showVisit(result.data);
          say(T.sent);
          warn(item.customer_label, result.data && result.data.warnings);
        } else if (result.status === 401 || result.status === 403) {
          say(T.loginAgain, true);
          break;
        } else if (result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429) {
          // The server refused it for good (bad input): keep it visible, out of the queue.
          item.error = (result.data && result.data.detail) || String(result.status);
          delete item.photo;
          await put("rejected", item);
          await del("queue", item.id);
          say(`${T.rejected} ${item.error}`, true);
        } else {
          break; // a server hiccup: try again later
        }
      }
    } finally {
      syncing = false;
      await render();
    }
  }

  function setNet(online) {
    const badge = document.getElementById("net-state");
    badge.textContent = online ? T.online : T.offline;
    badge.classList.toggle("badge-muted", online);
  }

  // --- the form -------------------------------------------------------------------------------
  document.getElementById("locate").addEventListener("click", () => locate().catch((e) => say(e.message, true)));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const select = document.getElementById("customer");
    if (!select.value) {
      say(T.chooseCustomer, true);
      return;
    }
    const button = document.getElementById("submit");
    button.disabled = true;
    try {
      let pos = position;
      try {
        pos = await locate();
      } catch (e) {
        if (!pos) throw e;
      }
      const file = document.getElementById("photo").files[0] || null;
      const item = {
        id: uuid(),
        customer_code: select.value,
        customer_label: select.options[select.selectedIndex].textContent.trim(),
        lat: pos.lat,
        lon: pos.lon,
        accuracy_m: pos.accuracy_m,
        position_at: pos.position_at,
        checkin_at: new Date().toISOString(),
        photo: file,
        photo_name: file ? file.name : null,
      };
      await put("queue", item); // saved first: nothing is lost if sending fails
      form.reset();
      document.getElementById("warnings").replaceChildren();
      say(T.queued);
      await render();
      if (navigator.onLine) await sync();
    } catch (e) {
      say(e.message, true);
    } finally {
      button.disabled = false;
    }
  });

  window.addEventListener("online", () => {
    setNet(true);
    sync();
  });
  window.addEventListener("offline", () => setNet(false));
  setInterval(() => {
    if (navigator.onLine) sync();
  }, RETRY_MS);
  setNet(navigator.onLine);
  render().then(() => {
    if (navigator.onLine) sync();
  });

  if ("serviceWorker" in navigator && form.dataset.sw) {
    navigator.serviceWorker.register(form.dataset.sw).catch(() => {});
  }
})();
