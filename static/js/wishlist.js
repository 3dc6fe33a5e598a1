/* The hearts of product cards: save the product to the wishlist without leaving the
   page. Cards are cached for every visitor, so the heart is shown here (it stays hidden
   without this script: the product's page has its own Save button). */
(function () {
  "use strict";
  var buttons = document.querySelectorAll(".product-card [data-save]");
  if (!buttons.length || !window.fetch) { return; }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrftoken"]');
    return meta ? meta.getAttribute("content") : "";
  }
  Array.prototype.forEach.call(buttons, function (button) {
    var card = button.closest(".product-card");
    button.hidden = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      var body = new URLSearchParams();
      body.set("product_id", card.getAttribute("data-product-id"));
      fetch("/wishlist/add/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
        body: body
      }).then(function (response) {
        if (response.ok) {
          button.setAttribute("aria-pressed", "true");
          button.querySelector("[aria-hidden]").textContent = "♥";
        }
      });
    });
  });
})();
