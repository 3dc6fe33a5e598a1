/* Checkout: the delivery options and totals follow the shipping address and the method
   chosen. Without this script the "Update delivery options and totals" button does the
   same; with it, a change of address or method presses that button. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("checkout-form");
  var refresh = form && form.querySelector(".delivery-refresh");
  if (!refresh) { return; }
  function update() {
    if (form.requestSubmit) { form.requestSubmit(refresh); } else { refresh.click(); }
  }
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "shipping_choice" || target.name === "shipping-country" ||
        target.name.indexOf("shipping_method_") === 0) {
      update();
    }
  });
})();
