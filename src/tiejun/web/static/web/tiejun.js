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
