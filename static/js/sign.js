// Signing page: swap the state/province field for the chosen country's list,
// and keep the counter current. The form works without this script.
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  var counter = document.getElementById("signature-count");
  var progress = document.getElementById("signature-progress");

  if (form) {
    var country = form.querySelector("select[name=country]");
    var urlTemplate = form.getAttribute("data-subdivisions-url");
    country.addEventListener("change", function () {
      var current = form.querySelector("[name=region]");
      if (!country.value) { return; }
      fetch(urlTemplate.replace("XX", country.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var replacement;
          if (data.subdivisions.length) {
            replacement = document.createElement("select");
            var empty = document.createElement("option");
            empty.value = "";
            empty.textContent = "—";
            replacement.appendChild(empty);
            data.subdivisions.forEach(function (pair) {
              var option = document.createElement("option");
              option.value = pair[0];
              option.textContent = pair[1];
              replacement.appendChild(option);
            });
          } else {
            replacement = document.createElement("input");
            replacement.type = "text";
            replacement.maxLength = 100;
          }
          replacement.name = "region";
          replacement.id = current.id;
          replacement.required = true;
          replacement.setAttribute("autocomplete", "address-level1");
          current.replaceWith(replacement);
        });
    });
  }

  if (counter && counter.getAttribute("data-count-url")) {
    var refresh = function () {
      fetch(counter.getAttribute("data-count-url"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          counter.textContent = data.confirmed.toLocaleString(document.documentElement.lang);
          if (progress) { progress.value = data.confirmed; }
        });
    };
    setInterval(refresh, 10000);
  }
})();
