// The supervisor's log-contact form: subcategories follow the category; the contact is sent
// as JSON to /api/contacts with the session's CSRF token in the X-CSRF-Token header.
(function () {
  "use strict";
  var form = document.getElementById("log-contact");
  var result = document.getElementById("result");
  var category = document.getElementById("category");
  var subcategory = document.getElementById("subcategory");
  var subcategories = JSON.parse(form.dataset.subcategories);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function fillSubcategories() {
    subcategory.innerHTML = "";
    var options = subcategories[category.value] || [];
    subcategory.disabled = options.length === 0;
    options.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      subcategory.appendChild(option);
    });
  }

  function show(text, ok) {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
  }

  category.addEventListener("change", fillSubcategories);
  fillSubcategories();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    new FormData(form).forEach(function (value, key) { body[key] = value; });
    if (subcategory.disabled) { body.subcategory = ""; }
    fetch("/api/contacts", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          show(form.dataset.saved + " #" + data.id, true);
          return;
        }
        var detail = data.detail;
        if (detail && detail.column) { detail = detail.column + ": " + detail.message; }
        show(form.dataset.failed + ": " + (typeof detail === "string" ? detail : response.status), false);
      });
    }).catch(function () { show(form.dataset.failed, false); });
  });
})();
