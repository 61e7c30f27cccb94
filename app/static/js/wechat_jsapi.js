// Inside WeChat: hand the signed JSAPI parameters to WeChat's pay sheet, then go back to the order.
(function () {
  var form = document.getElementById("wechat-jsapi");
  if (!form) return;
  var params = JSON.parse(form.dataset.params);
  function pay(event) {
    if (event) event.preventDefault();
    if (typeof WeixinJSBridge === "undefined") return;
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, function () {
      window.location.href = form.dataset["return"];
    });
  }
  form.addEventListener("submit", pay);
  if (typeof WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", function () { pay(); }, false);
  } else {
    pay();
  }
})();
