// Tværs page start-up. Loaded with `defer` after dkfds.min.js and htmx.min.js; the
// Content-Security-Policy allows no inline scripts, so all page behaviour lives in files.
"use strict";

(function () {
  function initDesignSystem() {
    if (window.DKFDS && typeof window.DKFDS.init === "function") {
      window.DKFDS.init();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initDesignSystem);
  } else {
    initDesignSystem();
  }
})();
