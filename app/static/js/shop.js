/* The shop's product page: colour/size chips pick the SKU (unavailable combinations greyed out,
   the stock said in words), the quantity stepper, the share link. Without script the plain SKU
   list and quantity box do the same. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("buy-form");
    if (!form) { return; }
    var skus = Array.prototype.slice.call(form.querySelectorAll("input[name=sku_id]"));
    var picker = document.getElementById("sku-picker");
    var chips = picker ? Array.prototype.slice.call(picker.querySelectorAll(".chip input")) : [];
    var price = form.querySelector("[data-chosen-price]");
    var level = form.querySelector("[data-chosen-level]");
    var submit = form.querySelector(".buy-bar button[type=submit]");

    function options(sku) { return JSON.parse(sku.dataset.options || "{}"); }
    function chosen() {
      var out = {};
      chips.forEach(function (c) { if (c.checked) { out[c.dataset.attribute] = c.value; } });
      return out;
    }
    function matches(sku, wanted) {
      var o = options(sku);
      return Object.keys(wanted).every(function (k) { return o[k] === wanted[k]; });
    }
    function buyable(sku) { return sku.dataset.level !== "sold_out"; }
    function label(sku) { return sku.closest("label").querySelector(".stock-level").textContent; }

    function show() {
      var wanted = chosen();
      // a chip is greyed when no SKU with it and the other choices can be bought
      chips.forEach(function (c) {
        var with_ = Object.assign({}, wanted);
        with_[c.dataset.attribute] = c.value;
        var ok = skus.some(function (s) { return buyable(s) && matches(s, with_); });
        c.closest(".chip").classList.toggle("unavailable", !ok);
      });
      var complete = picker ? Object.keys(wanted).length === picker.querySelectorAll("fieldset").length : true;
      var sku;
      if (picker) {
        sku = complete ? skus.filter(function (s) { return matches(s, wanted); })[0] : null;
        skus.forEach(function (s) { s.checked = s === sku && buyable(s); });
      } else {
        sku = skus.filter(function (s) { return s.checked; })[0];
      }
      if (sku) {
        price.textContent = sku.dataset.price;
        level.textContent = label(sku);
        level.dataset.level = sku.dataset.level;
      } else if (picker) {
        level.textContent = "";
      }
      submit.disabled = !(sku && buyable(sku));
    }

    if (picker && skus.length) {
      var start = skus.filter(function (s) { return s.checked; })[0] || skus[0];
      var o = options(start);
      chips.forEach(function (c) { c.checked = o[c.dataset.attribute] === c.value; });
      picker.hidden = false;
      document.getElementById("sku-list").hidden = true;
      picker.addEventListener("change", function (e) {
        // picking a greyed chip keeps it and moves the other choices to a combination that can be bought
        var c = e.target, wanted = {};
        wanted[c.dataset.attribute] = c.value;
        var current = chosen();
        var exact = skus.filter(function (s) { return buyable(s) && matches(s, current); })[0];
        var near = exact || skus.filter(function (s) { return buyable(s) && matches(s, wanted); })[0];
        if (near && !exact) {
          var no = options(near);
          chips.forEach(function (x) { x.checked = no[x.dataset.attribute] === x.value; });
        }
        show();
      });
      show();
    } else {
      form.addEventListener("change", function (e) { if (e.target.name === "sku_id") { show(); } });
    }

    var box = form.querySelector("#quantity");
    form.querySelectorAll("[data-stepper] .step").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var n = parseInt(box.value, 10) || 1;
        box.value = Math.min(99, Math.max(1, n + parseInt(b.dataset.step, 10)));
      });
    });
    var link = document.querySelector("[data-share-link]");
    if (link) { link.addEventListener("focus", function () { link.select(); }); }
  }

  document.addEventListener("DOMContentLoaded", init);
}());
