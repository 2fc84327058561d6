/* Filters the case cards by sector, model, scale, country and status. The filter lives in the URL's
   query (?sector=health&status=ongoing) so a filtered view can be shared. The form is in the page from the
   start (nothing moves when this runs); without JavaScript it is hidden (the `hb-js` class, set in
   templates/overrides/main.html) and every card stays visible. */
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("hb-filter");
    var cards = document.getElementById("hb-cards");
    var count = document.getElementById("hb-count");
    var empty = document.getElementById("hb-empty");  // no card matches: a way back to all of them
    if (!form || !cards || form.dataset.ready) return;
    form.dataset.ready = "1";
    var fields = { sector: "sectors", model: "models", scale: "scale", country: "country", status: "status" };
    var items = Array.prototype.slice.call(cards.querySelectorAll(".hb-card"));

    function read() {
      var params = new URLSearchParams(window.location.search);
      Object.keys(fields).forEach(function (name) {
        var select = form.elements[name];
        var value = params.get(name) || "";
        if (select && Array.prototype.some.call(select.options, function (o) { return o.value === value; })) {
          select.value = value;
        }
      });
    }

    function apply(push) {
      var shown = 0;
      var params = new URLSearchParams();
      Object.keys(fields).forEach(function (name) {
        var select = form.elements[name];
        if (select && select.value) params.set(name, select.value);
      });
      items.forEach(function (card) {
        var ok = true;
        params.forEach(function (value, name) {
          var have = (card.getAttribute("data-" + fields[name]) || "").split(" ");
          if (have.indexOf(value) < 0) ok = false;
        });
        card.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = shown ? count.getAttribute("data-template")
        .replace("{shown}", String(shown)).replace("{total}", String(items.length)) : count.getAttribute("data-none");
      if (empty) empty.hidden = shown > 0;
      if (push) {
        var query = params.toString();
        var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
        window.history.replaceState(null, "", url);
      }
    }

    read();
    apply(false);
    form.addEventListener("change", function () { apply(true); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    if (empty) {
      empty.querySelector("button").addEventListener("click", function () {
        form.reset();  // the button hides itself: the reader carries on from the form
        form.elements[0].focus();
      });
    }
  }
  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setup);
  } else {
    document.addEventListener("DOMContentLoaded", setup);
  }
})();
