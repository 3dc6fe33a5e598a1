/* Catalog pages: small enhancements; every page works without them.
   - The filter panel starts open on wide screens (it is a <details>, closed on phones).
   - The sort select submits on change (its "Sort" button is the no-JS way).
   - Gallery thumbnails swap the main image in place instead of reloading the page.
   - A product with variants shows a row of buttons per option instead of the select of
     variants; the price, stock line, SKU and picture follow the choice. */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, loaded by the page) translates; English without it.
  var gettext = window.gettext || function (text) { return text; };
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

  var pickers = document.getElementById("variant-pickers");
  var dataNode = document.getElementById("variants-data");
  var select = document.getElementById("variant-select");
  if (pickers && dataNode && select) {
    var variants = JSON.parse(dataNode.textContent);
    var groups = pickers.querySelectorAll(".option-picker");
    var byId = {};
    variants.forEach(function (variant) { byId[variant.id] = variant; });
    var current = byId[select.value] || variants[0];
    var chosen = {};
    Object.keys(current.options).forEach(function (name) { chosen[name] = current.options[name]; });

    var find = function (wanted) {
      return variants.filter(function (variant) {
        return Object.keys(wanted).every(function (name) { return variant.options[name] === wanted[name]; });
      })[0];
    };
    var setText = function (id, text) {
      var node = document.getElementById(id);
      if (node) { node.textContent = text; }
      return node;
    };
    var show = function (variant) {
      select.value = variant ? String(variant.id) : "";
      var button = select.form.querySelector(".button-cart");
      var quantity = document.getElementById("quantity");
      var buyable = Boolean(variant && variant.stock > 0);
      if (button) { button.disabled = !buyable; }
      if (quantity) {
        quantity.disabled = !buyable;
        if (buyable) { quantity.max = String(variant.stock); }
      }
      if (!variant) {
        setText("variant-stock", gettext("This combination is not sold"));
        return;
      }
      setText("variant-price", variant.price);
      var was = setText("variant-compare", variant.compare_at);
      if (was) { was.hidden = !variant.compare_at; }
      var stock = setText("variant-stock", variant.stock_label);
      if (stock) { stock.className = "stock stock-" + variant.stock_state; }
      setText("variant-sku", variant.sku);
      if (variant.image && main) {
        main.src = variant.image.url;
        main.removeAttribute("width");
        main.removeAttribute("height");
      }
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("variant", String(variant.id));
        url.searchParams.delete("image");
        window.history.replaceState(null, "", url.toString());
      }
    };
    var refresh = function () {
      Array.prototype.forEach.call(groups, function (group) {
        var name = group.getAttribute("data-option");
        Array.prototype.forEach.call(group.querySelectorAll(".option-value"), function (button) {
          var value = button.getAttribute("data-value");
          var wanted = {};
          Object.keys(chosen).forEach(function (key) { wanted[key] = chosen[key]; });
          wanted[name] = value;
          var match = find(wanted);
          var selected = chosen[name] === value;
          button.setAttribute("aria-pressed", selected ? "true" : "false");
          button.classList.remove("option-ok", "option-sold_out", "option-unavailable");
          var state = !match ? "unavailable" : (match.stock > 0 ? "ok" : "sold_out");
          button.classList.add("option-" + state);
          button.disabled = state !== "ok" && !selected;
          var note = button.querySelector(".option-note");
          if (state === "sold_out" && !note) {
            note = document.createElement("span");
            note.className = "option-note";
            note.textContent = " " + gettext("sold out");
            button.appendChild(note);
          } else if (state !== "sold_out" && note) {
            note.parentNode.removeChild(note);
          }
        });
      });
      show(find(chosen));
    };
    Array.prototype.forEach.call(groups, function (group) {
      group.addEventListener("click", function (event) {
        var button = event.target.closest(".option-value");
        if (!button || button.disabled) { return; }
        chosen[group.getAttribute("data-option")] = button.getAttribute("data-value");
        refresh();
      });
    });
    select.addEventListener("change", function () {
      var variant = byId[select.value];
      if (!variant) { return; }
      Object.keys(variant.options).forEach(function (name) { chosen[name] = variant.options[name]; });
      refresh();
    });
    pickers.hidden = false;
    refresh();
  }
})();
