/* Houtai's page behaviour, kept out of the HTML so the Content-Security-Policy needs no
   inline script: confirmations (data-confirm on a form or button, data-confirm on the chosen
   bulk action), select-all boxes, selects that submit their form, print and back links, progress
   bar widths, and the htmx error banner. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function confirmed(message) {
    return !message || window.confirm(message);
  }

  document.addEventListener("htmx:responseError", function () {
    var box = document.getElementById("htmx-error");
    if (box) { box.hidden = false; }
  });

  document.addEventListener("click", function (e) {
    var all = e.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = all.checked; });
    }
    var button = e.target.closest("button[data-confirm]");
    if (button && !confirmed(button.dataset.confirm)) { e.preventDefault(); e.stopImmediatePropagation(); }
    if (e.target.closest("[data-print]")) { window.print(); }
    if (e.target.closest("[data-back]")) { e.preventDefault(); window.history.back(); }
  }, true);

  // capture phase: a refused confirmation stops the submit before htmx sees it
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form.dataset.confirm;
    if (!message && form.hasAttribute("data-bulk-confirm") && form.bulk_action) {
      var option = form.bulk_action.selectedOptions[0];
      message = option && option.dataset.confirm;
    }
    if (!confirmed(message)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
  });

  // the sidebar at tablet width: the menu button folds it open (focus on its first link) and
  // shut; Escape shuts it and gives the focus back to the button
  function toggleNav(open) {
    var button = document.querySelector(".nav-toggle");
    var shell = document.querySelector(".shell");
    if (!button || !shell) { return; }
    shell.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var first = open && document.querySelector("#" + button.getAttribute("aria-controls") + " a");
    if (first) { first.focus(); }
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest(".nav-toggle")) {
      toggleNav(e.target.closest(".nav-toggle").getAttribute("aria-expanded") !== "true");
    }
  });
  document.addEventListener("keydown", function (e) {
    var button = document.querySelector(".nav-toggle[aria-expanded=true]");
    if (e.key === "Escape" && button) { toggleNav(false); button.focus(); }
  });

  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
  }
  // countdowns (flash sales, group buys): data-countdown holds the seconds left; the <time
  // data-clock> inside shows them as h:mm:ss, ticking; at zero the page loads again once (the
  // sale starts or ends, the group closes), as the server says what holds now
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }
  function countdowns() {
    var timers = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
    if (!timers.length) { return; }
    var started = Date.now();
    timers.forEach(function (el) { el.countdownFrom = parseInt(el.dataset.countdown, 10) || 0; });
    function tick() {
      var gone = Math.floor((Date.now() - started) / 1000), reload = false;
      timers.forEach(function (el) {
        var left = Math.max(0, el.countdownFrom - gone);
        var face = el.querySelector("[data-clock]");
        if (face) { face.textContent = clock(left); face.setAttribute("datetime", "PT" + left + "S"); }
        el.dataset.left = left;
        if (left === 0 && el.countdownFrom > 0 && !el.countdownDone) { el.countdownDone = true; reload = true; }
      });
      if (reload) { window.setTimeout(function () { window.location.reload(); }, 1000); }
    }
    tick();
    window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () { widths(document); countdowns(); });
  document.addEventListener("htmx:load", function (e) { widths(e.target); });
}());
