// Tværs page start-up. Loaded with `defer` after dkfds.min.js and htmx.min.js; the
// Content-Security-Policy allows no inline scripts, so all page behaviour lives in files.
"use strict";

(function () {
  function initDesignSystem() {
    if (window.DKFDS && typeof window.DKFDS.init === "function") {
      window.DKFDS.init();
    }
  }

  // --- "Arbejder …" on long operations ---------------------------------------------------------
  // An element with data-busy="<id>" (a download link, an upload form, an htmx form) fills the
  // live region <id> (templates/coordination/busy_indicator.html) while it works. A download
  // (Content-Disposition: attachment) leaves the page in place and fires no event when the file
  // arrives, so the indicator clears itself after a while.
  var DOWNLOAD_CLEAR_MS = 30000;
  var timers = {};

  function indicatorFor(element) {
    var id = element && element.getAttribute("data-busy");
    return id ? document.getElementById(id) : null;
  }

  function setBusy(indicator, busy) {
    if (!indicator) {
      return;
    }
    window.clearTimeout(timers[indicator.id]);
    indicator.textContent = busy ? indicator.getAttribute("data-busy-text") || "" : "";
    if (busy) {
      timers[indicator.id] = window.setTimeout(function () {
        indicator.textContent = "";
      }, DOWNLOAD_CLEAR_MS);
    }
  }

  function isPlainClick(event) {
    return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy]");
    if (link && isPlainClick(event)) {
      setBusy(indicatorFor(link), true);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // htmx forms are handled by the htmx events below (their request may not start at all).
    if (form.matches && form.matches("form[data-busy]:not([hx-post])")) {
      setBusy(indicatorFor(form), true);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    setBusy(indicatorFor(event.detail.elt.closest("[data-busy]")), true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt.closest("[data-busy]");
    // The swap may have replaced the form; the indicator lives outside the swapped part.
    setBusy(source ? indicatorFor(source) : null, false);
  });

  // A swap that removed the focused control (the action's "Markér udført" button) would leave
  // keyboard and screen-reader users at the top of the page: the fragment marks where focus
  // goes instead. (htmx itself keeps focus on a control whose id is still there.)
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("[data-swap-focus]");
    if (!target) {
      return;
    }
    target.removeAttribute("data-swap-focus");
    if (!document.activeElement || document.activeElement === document.body) {
      target.focus();
    }
  });

  // Back from a download or a cached page: nothing is running any more.
  window.addEventListener("pageshow", function () {
    var indicators = document.querySelectorAll(".busy-indicator");
    for (var i = 0; i < indicators.length; i++) {
      setBusy(indicators[i], false);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initDesignSystem);
  } else {
    initDesignSystem();
  }
})();
