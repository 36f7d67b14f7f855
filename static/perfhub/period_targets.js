// "Targets by period", one implementation for both editors: a KPI's page
// (metrics/templates/metrics/config/kpi_targets.html, a column of cells) and a department's
// grid (department_targets.html, a row of cells per KPI, marked data-cell-row):
// - "Spread evenly" and "Copy last year's shape" type into the target cells the values the
//   server computed for them (data-even, data-shape: metrics.period_targets.targets_year),
//   "Clear all" empties them; a button acts on the cells of its data-fill-scope (a KPI's
//   row of the grid), else on the whole form; nothing is saved until the form is submitted;
// - numbers copied from Excel (tab- and line-separated, as Excel copies them) and pasted
//   into a target cell: on a KPI's page they fill that cell and the open cells after it; in
//   the grid the block keeps its shape, filling right and down from the cell (the cells of
//   locked periods keep their place and are left alone; a block as wide as the year fills
//   the row from its first period). The text goes into the inputs as
//   values only (never as markup); the server reads every number ("1,000,000", "250万", ...:
//   perfhub.numbers.read_number) and checks it.
(function () {
  "use strict";
  var OPEN = "input[data-target-cell]:not([disabled])";

  function fill(scope, how) {
    scope.querySelectorAll(OPEN).forEach(function (input) {
      if (how === "clear") {
        input.value = "";
      } else {
        var value = input.getAttribute("data-" + how);
        if (value) input.value = value;
      }
    });
    if (how === "clear") {
      scope.querySelectorAll("input[data-other-cell]:not([disabled])").forEach(function (input) {
        input.value = "";
      });
    }
  }

  // The clipboard's text as rows of cells, without the line break Excel ends it with.
  function block(text) {
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    return lines.map(function (line) {
      return line.split("\t").map(function (part) { return part.trim(); });
    });
  }

  function pasteInColumn(form, input, rows) {
    var cells = Array.prototype.slice.call(form.querySelectorAll(OPEN));
    var parts = [].concat.apply([], rows).filter(function (part) { return part !== ""; });
    if (parts.length < 2) return false; // one number: the browser pastes it as usual
    var index = cells.indexOf(input);
    for (var i = 0; i < parts.length && index + i < cells.length; i++) {
      cells[index + i].value = parts[i];
    }
    return true;
  }

  function pasteInGrid(input, rows) {
    if (rows.length < 2 && rows[0].length < 2) return false;
    var row = input.closest("tr[data-cell-row]");
    var lines = Array.prototype.slice.call(row.parentNode.querySelectorAll("tr[data-cell-row]"));
    var first = lines.indexOf(row);
    var all = row.querySelectorAll("input[data-target-cell]");
    var column = Array.prototype.indexOf.call(all, input);
    // A block as wide as the year (12 months, 4 quarters) lines up with its periods
    // wherever it is pasted: a whole year copied from Excel when its first months are locked.
    if (rows.every(function (values) { return values.length === all.length; })) column = 0;
    rows.forEach(function (values, r) {
      var line = lines[first + r];
      if (!line) return;
      var cells = line.querySelectorAll("input[data-target-cell]");
      values.forEach(function (value, c) {
        var cell = cells[column + c];
        if (cell && !cell.disabled) cell.value = value;
      });
    });
    return true;
  }

  document.querySelectorAll("form[data-period-targets]").forEach(function (form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-fill]");
      if (!button) return;
      fill(button.closest("[data-fill-scope]") || form, button.getAttribute("data-fill"));
    });
    form.addEventListener("paste", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches(OPEN)) return;
      var data = event.clipboardData || window.clipboardData;
      if (!data) return;
      var rows = block(data.getData("text"));
      var done = input.closest("tr[data-cell-row]")
        ? pasteInGrid(input, rows)
        : pasteInColumn(form, input, rows);
      if (done) event.preventDefault();
    });
  });
})();
