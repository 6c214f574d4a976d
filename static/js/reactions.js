/* Reactions: toggle "herkenbaar" / "nuttig" without reloading the page. Without JavaScript
   the same forms POST and the server redirects back. */
(function () {
  "use strict";

  function update(form, data) {
    var button = form.querySelector(".reaction-toggle");
    var count = form.querySelector(".reaction-count");
    if (button) {
      button.setAttribute("aria-pressed", data.active ? "true" : "false");
    }
    if (count) {
      count.textContent = String(data.count);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form.reaction-form") ||
        !window.fetch || !window.FormData) {
      return;
    }
    event.preventDefault();
    if (form.dataset.busy === "yes") {
      return; /* one request at a time per button: a double click is one toggle */
    }
    var button = form.querySelector(".reaction-toggle");
    var tokenField = form.querySelector("input[name=csrf_token]");
    form.dataset.busy = "yes";
    if (button) {
      button.setAttribute("aria-busy", "true");
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "X-CSRFToken": tokenField ? tokenField.value : ""
      }
    }).then(function (response) {
      if (response.status === 401) {
        return response.json().then(function (data) {
          window.location.assign(data.error && data.error.login ? data.error.login : form.action);
        });
      }
      if (!response.ok) {
        throw new Error("reaction failed: " + response.status);
      }
      return response.json().then(function (data) {
        update(form, data);
      });
    }).catch(function () {
      /* Let the server answer the ordinary way (an error page or the redirect). */
      form.submit();
    }).then(function () {
      delete form.dataset.busy;
      if (button) {
        button.removeAttribute("aria-busy");
      }
    });
  });
})();
