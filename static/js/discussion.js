/* Discussion: small conveniences on top of forms that work without JavaScript.
   - Opening "Reply" puts the cursor in its text box; opening "Delete" focuses the confirm button.
   - Escape closes an open reply or delete box and returns focus to its toggle.
   - A comment form cannot be sent twice by a double click. */
(function () {
  "use strict";

  var BOXES = "details.reply, details.confirm-delete";

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || !details.matches(BOXES)) {
      return;
    }
    var target = details.querySelector("textarea, button[type=submit]");
    if (target) {
      target.focus();
    }
  }, true); /* "toggle" does not bubble: listen while it travels down */

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) {
      return;
    }
    var details = event.target.closest(BOXES);
    if (details && details.open) {
      details.open = false;
      var summary = details.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(".comment-form, details.confirm-delete form")) {
      return;
    }
    if (form.dataset.sent === "yes") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "yes";
    form.setAttribute("aria-busy", "true");
  });

  /* Coming back with the Back button restores the page as it was: allow sending again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
    });
  });
})();
