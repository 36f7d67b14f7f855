// Confirmation before a destructive or irreversible action (issue 16, §6), without inline
// handlers (the Content-Security-Policy refuses them):
//   <form data-confirm="Locking 2026-11 stops all entry for 8 departments." data-confirm-ok="Lock">
// On submit the <dialog id="confirm-dialog"> of base.html shows the text (as text, never
// HTML) and the form is sent only on "Confirm". A button of the form may carry its own
// data-confirm (several actions in one form: only that one asks).
// The error banner of base.html takes the focus when the page has one.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  var confirmed = new WeakSet();
  var okButton = dialog && dialog.querySelector("[data-confirm-ok]");
  if (okButton) okButton.setAttribute("data-default", okButton.textContent);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var text = source.getAttribute("data-confirm");
    if (!text || confirmed.has(form) || !dialog || typeof dialog.showModal !== "function") {
      confirmed.delete(form);
      return;
    }
    event.preventDefault();
    dialog.querySelector("[data-confirm-text]").textContent = text;
    okButton.textContent = source.getAttribute("data-confirm-ok") || okButton.getAttribute("data-default");
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        if (dialog.returnValue !== "ok") return;
        confirmed.add(form);
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          form.submit();
        }
      },
      { once: true }
    );
    dialog.showModal();
  });

  var banner = document.querySelector("[data-error-banner]");
  if (banner) banner.focus();
})();
