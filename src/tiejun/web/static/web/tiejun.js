// Small behaviours for every page, bound here rather than in inline handlers (the
// Content-Security-Policy allows no inline script without the page's nonce).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    // <button data-confirm="Remove this?"> asks before it acts.
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    // <button data-print> prints the page.
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();

// The top bar: a group's menu opens on click (and closes on a click elsewhere or Escape); a bar
// whose sections do not fit on one line folds behind the burger rather than wrap a label.
(function () {
  "use strict";
  var bar = document.querySelector(".topnav");
  if (!bar) return;
  function closeAll(except) {
    bar.querySelectorAll(".nav-group.open").forEach(function (group) {
      if (group === except) return;
      group.classList.remove("open");
      var button = group.querySelector(".nav-group-btn");
      if (button) button.setAttribute("aria-expanded", "false");
    });
  }
  bar.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest(".nav-group-btn");
    if (!button) return;
    var group = button.parentElement;
    var open = !group.classList.contains("open");
    closeAll(group);
    group.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element) || !event.target.closest(".nav-group")) closeAll(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeAll(null);
  });
  var inner = bar.querySelector(".topnav-inner");
  var links = bar.querySelector(".nav-links");
  function fits() {
    if (!inner || !links) return true;
    var top = null, single = true;
    Array.prototype.forEach.call(inner.children, function (child) {
      if (child.offsetParent === null) return; // hidden (the checkbox, the burger)
      var box = child.getBoundingClientRect();
      var y = box.top + box.height / 2;
      if (top === null) top = y;
      else if (Math.abs(y - top) > 12) single = false;
    });
    return single && links.scrollWidth <= links.clientWidth + 1 && inner.scrollWidth <= inner.clientWidth + 1;
  }
  function layout() {
    bar.classList.remove("nav-compact");
    if (!fits()) bar.classList.add("nav-compact");
  }
  layout();
  window.addEventListener("resize", layout);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout);
})();
