// "Targets by period" (metrics/templates/metrics/config/kpi_targets.html):
// - "Spread evenly" and "Copy last year's shape" type into the target cells the values the
//   server computed for them (data-even, data-shape: metrics.period_targets.targets_year),
//   "Clear all" empties every cell; nothing is saved until the form is submitted;
// - a row or column of numbers copied from Excel (tab- or line-separated) and pasted into a
//   target cell fills it and the target cells after it. The text goes into the inputs as
//   values only (never as markup); the server reads and checks every number.
(function () {
  "use strict";
  var form = document.getElementById("period-targets");
  if (!form) return;
  // The cells of locked periods are disabled: the buttons and a paste leave them alone.
  var cells = Array.prototype.slice.call(
    form.querySelectorAll("input[data-target-cell]:not([disabled])")
  );

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-fill]");
    if (!button) return;
    var how = button.getAttribute("data-fill");
    cells.forEach(function (input) {
      if (how === "clear") {
        input.value = "";
      } else {
        var value = input.getAttribute("data-" + how);
        if (value) input.value = value;
      }
    });
    if (how === "clear") {
      form.querySelectorAll("input[data-other-cell]:not([disabled])").forEach(function (input) {
        input.value = "";
      });
    }
  });

  cells.forEach(function (input, index) {
    input.addEventListener("paste", function (event) {
      var data = event.clipboardData || window.clipboardData;
      if (!data) return;
      var parts = data.getData("text").split(/[\t\r\n]+/).map(function (part) {
        return part.trim();
      }).filter(function (part) {
        return part !== "";
      });
      if (parts.length < 2) return; // one number: the browser pastes it as usual
      event.preventDefault();
      for (var i = 0; i < parts.length && index + i < cells.length; i++) {
        cells[index + i].value = parts[i];
      }
    });
  });
})();
