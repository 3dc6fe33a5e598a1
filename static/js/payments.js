/* The pay page with Stripe: Stripe's Payment Element takes the card in an iframe of
   Stripe's own, and stripe.confirmPayment sends the person to their bank when it asks,
   then back to the order's "paid" page (the return URL), where the webhook's answer is
   awaited. A payment a saved card left waiting for the bank (requires_action) is handed
   to stripe.handleNextAction instead.
   Everything comes from data- attributes of #stripe-payment-form: the page has no
   inline script, so that a Content Security Policy can forbid them. */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, loaded by the page) translates; English without it.
  var gettext = window.gettext || function (text) { return text; };

  var form = document.getElementById("stripe-payment-form");
  if (!form) { return; }
  var button = document.getElementById("stripe-submit");
  var message = document.getElementById("payment-message");
  var returnUrl = form.getAttribute("data-return-url");
  var clientSecret = form.getAttribute("data-client-secret");

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function setBusy(busy) {
    button.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  var container = document.getElementById("payment-element");
  if (typeof window.Stripe !== "function") {
    if (container) { container.hidden = true; }
    showMessage(gettext("The secure card form could not be loaded. Check your connection and reload the page."));
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-stripe-key"));

  function explain(error) {
    // Card and validation errors carry a message meant for the person paying.
    if (error && (error.type === "card_error" || error.type === "validation_error")) {
      return error.message;
    }
    return gettext("Something went wrong while paying. Please try again.");
  }

  if (form.getAttribute("data-requires-action") === "true") {
    setBusy(false);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      setBusy(true);
      showMessage("");
      stripe.handleNextAction({ clientSecret: clientSecret }).then(function (result) {
        if (result.error) {
          showMessage(explain(result.error));
          setBusy(false);
          return;
        }
        window.location.assign(returnUrl);
      });
    });
    return;
  }

  var elements = stripe.elements({
    clientSecret: clientSecret,
    appearance: { theme: "stripe", variables: { colorPrimary: "#0f766e", borderRadius: "10px" } }
  });
  var paymentElement = elements.create("payment", { layout: "tabs" });
  container.textContent = "";
  paymentElement.mount(container);
  paymentElement.on("ready", function () { setBusy(false); });
  paymentElement.on("loaderror", function () {
    showMessage(gettext("The secure card form could not be loaded. Please reload the page."));
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    setBusy(true);
    showMessage("");
    stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: returnUrl }
    }).then(function (result) {
      // Reached only when the payment could not go ahead: on success Stripe has already
      // sent the browser to the return URL.
      showMessage(explain(result.error));
      setBusy(false);
    });
  });
})();
