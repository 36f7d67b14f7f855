// "My entries": a block of cells copied from Excel and pasted into a value cell fills the
// value column downwards (and the note column when two columns were copied).
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) return;
  var values = Array.prototype.slice.call(form.querySelectorAll("input.entry-value:not([disabled])"));
  values.forEach(function (input, index) {
    input.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text");
      if (!text || (text.indexOf("\n") === -1 && text.indexOf("\t") === -1)) return;
      event.preventDefault();
      var lines = text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
      lines.forEach(function (line, offset) {
        var target = values[index + offset];
        if (!target) return;
        var cells = line.split("\t");
        target.value = cells[0].trim();
        target.dispatchEvent(new Event("input", { bubbles: true }));
        if (cells.length > 1) {
          var note = target.closest("tr").querySelector("input.entry-note");
          if (note && !note.disabled) note.value = cells[1].trim();
        }
      });
    });
  });
})();
