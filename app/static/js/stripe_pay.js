/* The Stripe payment page: mounts Stripe's Payment Element and confirms the payment. */
(function () {
  "use strict";
  var form = document.getElementById("stripe-form");
  if (!form || !window.Stripe) { return; }
  var stripe = window.Stripe(form.dataset.key);
  var elements = stripe.elements({clientSecret: form.dataset.secret});
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    stripe.confirmPayment({elements: elements, confirmParams: {return_url: form.dataset.return}}).then(function (r) {
      if (r.error) {
        var box = document.getElementById("stripe-error");
        box.textContent = r.error.message;
        box.hidden = false;
      }
    });
  });
}());
