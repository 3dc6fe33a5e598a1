/* Catalog pages: small enhancements; every page works without them.
   - The filter panel starts open on wide screens (it is a <details>, closed on phones).
   - The sort select submits on change (its "Sort" button is the no-JS way).
   - Gallery thumbnails swap the main image in place instead of reloading the page. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var panel = document.getElementById("filters-panel");
  if (panel && window.matchMedia("(min-width: 900px)").matches) {
    panel.open = true;
  }

  var sort = document.getElementById("sort-select");
  if (sort && sort.form) {
    sort.addEventListener("change", function () {
      if (sort.form.requestSubmit) { sort.form.requestSubmit(); } else { sort.form.submit(); }
    });
  }

  var main = document.getElementById("gallery-main-image");
  var thumbs = document.querySelectorAll(".gallery-thumb[data-full]");
  if (main && thumbs.length) {
    Array.prototype.forEach.call(thumbs, function (thumb) {
      thumb.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) { return; }
        event.preventDefault();
        main.src = thumb.getAttribute("data-full");
        main.alt = thumb.getAttribute("data-alt") || "";
        if (thumb.hasAttribute("data-width")) {
          main.width = Number(thumb.getAttribute("data-width"));
          main.height = Number(thumb.getAttribute("data-height"));
        } else {
          main.removeAttribute("width");
          main.removeAttribute("height");
        }
        Array.prototype.forEach.call(thumbs, function (other) { other.removeAttribute("aria-current"); });
        thumb.setAttribute("aria-current", "true");
      });
    });
  }
})();
