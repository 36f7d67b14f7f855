// Behaviour the templates ask for with data attributes instead of inline handlers (the
// Content-Security-Policy refuses onclick="…" and friends):
//   <select data-submit-on-change>  submits its form when another option is chosen;
//   <select data-navigate>          goes to the chosen option's value, a path of this site;
//   <a data-print>                  prints the page;
//   <input type="checkbox" data-check-all="NAME">  ticks or clears every checkbox NAME
//                                   of its form (a list's "select all").
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-check-all") && target.form) {
      var name = target.getAttribute("data-check-all");
      Array.prototype.forEach.call(target.form.elements, function (box) {
        if (box instanceof HTMLInputElement && box.type === "checkbox" && box.name === name) {
          box.checked = target.checked;
        }
      });
      return;
    }
    if (!(target instanceof HTMLSelectElement)) return;
    if (target.hasAttribute("data-submit-on-change") && target.form) {
      target.form.submit();
    } else if (target.hasAttribute("data-navigate")) {
      var path = target.value;
      // Only a path of this site: never "javascript:" nor another host.
      if (path.charAt(0) === "/" && path.charAt(1) !== "/" && path.charAt(1) !== "\\") {
        window.location.assign(path);
      }
    }
  });
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("[data-print]");
    if (!link) return;
    event.preventDefault();
    window.print();
  });
})();
