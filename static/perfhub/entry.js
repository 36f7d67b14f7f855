// "My entries":
// - a block of cells copied from Excel and pasted into a value cell fills the value column
//   downwards (and the note column when two columns were copied);
// - a plain number shows thousands separators while its cell is not focused, raw while it
//   is edited, and is sent raw (the server reads either: perfhub.numbers.read_number);
// - each scored row previews its score and status as the manager types, with the rule the
//   server scores it by (metrics.scoring.kpi_score, given per row as data attributes by
//   metrics.selectors.EntryRow.rule_data). tests/browser/test_entry_numbers.py compares
//   this file's results with the Python reference on generated cases.
(function () {
  "use strict";

  // --- reading a typed number: the rules of perfhub.numbers.read_number -----------------
  var MULTIPLIERS = { "万": 1e4, "亿": 1e8 };
  var PREFIX_CURRENCIES = ["RMB", "CNY", "¥", "$", "€"];
  var SUFFIX_CURRENCIES = ["RMB", "CNY", "元"];
  var THOUSANDS = /^\d{1,3}(,\d{3})+(\.\d+)?$/;
  var PLAIN = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

  function toHalfWidth(text) {
    // Full-width forms (U+FF01-FF5E) to ASCII, as NFKC does for the characters the server
    // allows; ￥ to ¥, the minus sign − to -.
    return text.replace(/[\uFF01-\uFF5E]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/\uFFE5/g, "¥").replace(/\u2212/g, "-");
  }

  function stripPrefix(text, marks) {
    for (var i = 0; i < marks.length; i++) {
      if (text.toUpperCase().indexOf(marks[i]) === 0) return [text.slice(marks[i].length), marks[i]];
    }
    return [text, ""];
  }

  function stripSuffix(text, marks) {
    for (var i = 0; i < marks.length; i++) {
      var m = marks[i];
      if (text.length >= m.length && text.toUpperCase().slice(-m.length) === m) {
        return [text.slice(0, -m.length), m];
      }
    }
    return [text, ""];
  }

  // {value, percent, currency}, null when nothing was typed, undefined when it is not a
  // number (the server then says why).
  function readNumber(raw) {
    if (raw === null || raw === undefined) return null;
    var text = toHalfWidth(String(raw)).replace(/[\s\u00a0\u202f\u3000]+/g, "");
    if (text === "") return null;
    var sign = "";
    if (text[0] === "+" || text[0] === "-") { sign = text[0]; text = text.slice(1); }
    var cut = stripPrefix(text, PREFIX_CURRENCIES);
    text = cut[0];
    var currency = cut[1];
    if (currency && !sign && (text[0] === "+" || text[0] === "-")) { sign = text[0]; text = text.slice(1); }
    var percent = text.slice(-1) === "%";
    if (percent) text = text.slice(0, -1);
    if (!currency) { cut = stripSuffix(text, SUFFIX_CURRENCIES); text = cut[0]; currency = cut[1]; }
    var factor = 1;
    if (MULTIPLIERS[text.slice(-1)]) { factor = MULTIPLIERS[text.slice(-1)]; text = text.slice(0, -1); }
    if (/[万亿]/.test(text)) return undefined;
    if (text.indexOf(",") !== -1) {
      if (!THOUSANDS.test(text)) return undefined;
      text = text.replace(/,/g, "");
    }
    if (!PLAIN.test(text)) return undefined;
    return { value: Number(sign + text) * factor, percent: percent, currency: currency };
  }

  // The value stored for a unit (metrics.values.parse_number), undefined when refused.
  function valueFor(raw, unit) {
    var typed = readNumber(raw);
    if (!typed) return typed;
    if (typed.currency && unit !== "currency") return undefined;
    if (typed.percent) {
      if (unit === "ratio") return typed.value / 100;
      if (unit !== "percent") return undefined;
    }
    return typed.value;
  }

  // --- scoring: metrics.scoring.effective_threshold, validate_rule, kpi_score, kpi_status --
  function num(text) {
    return text === "" || text === undefined || text === null ? null : Number(text);
  }

  function effectiveThreshold(rule) {
    if (rule.target === null) return undefined;
    if (rule.threshold !== null) return rule.threshold;
    if (rule.direction === "higher_is_better") return rule.target > 0 ? 0 : undefined;
    if (rule.direction === "lower_is_better") return rule.target > 0 ? 2 * rule.target : undefined;
    return undefined;
  }

  // Clamped, and rid of the binary error of a float (100 * d / d may come out as
  // 99.99999999999999 where the server's Decimal gives 100, which is green).
  function clamp(value, low, high) {
    value = Math.round(value * 1e9) / 1e9;
    return value < low ? low : value > high ? high : value;
  }

  // The score of `actual` under `rule` ({direction, target, threshold, targetMax, cap} as
  // numbers or null), null when the rule cannot be scored.
  function kpiScore(rule, actual) {
    if (rule.target === null || rule.cap < 100) return null;
    if (rule.direction === "within_range") {
      var upper = rule.targetMax;
      if (upper === null || upper < rule.target || rule.threshold === null || rule.threshold <= 0) return null;
      var d;
      if (actual < rule.target) d = rule.target - actual;
      else if (actual > upper) d = actual - upper;
      else return 100;
      return clamp(100 - (100 * d) / rule.threshold, 0, 100);
    }
    var f = effectiveThreshold(rule);
    if (f === undefined || f === rule.target) return null;
    if (rule.direction === "higher_is_better") {
      if (f > rule.target) return null;
      return clamp((100 * (actual - f)) / (rule.target - f), 0, rule.cap);
    }
    if (f < rule.target) return null;
    return clamp((100 * (f - actual)) / (f - rule.target), 0, rule.cap);
  }

  function kpiStatus(score, amberLine) {
    if (score === null) return "grey";
    if (score >= 100) return "green";
    if (score >= amberLine) return "amber";
    return "red";
  }

  // metrics.scoring.round_display: halves away from zero; the small nudge absorbs the
  // binary error of a float that should be exactly …5.
  function roundDisplay(x, places) {
    var p = Math.pow(10, places === undefined ? 1 : places);
    var sign = x < 0 ? -1 : 1;
    return (sign * Math.floor(Math.abs(x) * p + 0.5 + 1e-7)) / p;
  }

  function ruleOf(row) {
    return {
      direction: row.dataset.direction,
      target: num(row.dataset.target),
      threshold: num(row.dataset.threshold),
      targetMax: num(row.dataset.targetMax),
      cap: num(row.dataset.cap),
    };
  }

  // --- thousands separators --------------------------------------------------------------
  var RAW_PLAIN = /^-?\d+(\.\d+)?$/;

  function withSeparators(text) {
    if (!RAW_PLAIN.test(text)) return text;
    var parts = text.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }

  function withoutSeparators(text) {
    var bare = text.replace(/,/g, "");
    return THOUSANDS.test(text.replace(/^-/, "")) && RAW_PLAIN.test(bare) ? bare : text;
  }

  window.PerfHubEntry = {
    readNumber: readNumber,
    valueFor: valueFor,
    kpiScore: kpiScore,
    kpiStatus: kpiStatus,
    roundDisplay: roundDisplay,
    withSeparators: withSeparators,
    withoutSeparators: withoutSeparators,
  };

  var form = document.getElementById("entry-form");
  if (!form) return;
  var amberLine = Number(form.dataset.amberLine || "80");
  var words = form.dataset;
  var values = Array.prototype.slice.call(form.querySelectorAll("input.entry-value:not([disabled])"));

  function preview(input) {
    var row = input.closest("tr");
    var out = row && row.querySelector(".entry-preview");
    if (!out) return;
    var value = valueFor(input.value, row.dataset.unit);
    out.textContent = "";
    out.removeAttribute("data-score");
    out.removeAttribute("data-status");
    if (value === null || value === undefined || !isFinite(value)) return;
    var score = kpiScore(ruleOf(row), value);
    if (score === null) return;
    var status = kpiStatus(score, amberLine);
    var shown = roundDisplay(score, 1).toFixed(1);
    out.setAttribute("data-score", shown);
    out.setAttribute("data-status", status);
    var badge = document.createElement("span");
    badge.className = "badge text-dark status-" + status;
    badge.textContent = words["t" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
    out.appendChild(document.createTextNode((words.tScore || "Score") + " " + shown + " "));
    out.appendChild(badge);
  }

  values.forEach(function (input, index) {
    if (document.activeElement !== input) input.value = withSeparators(input.value);
    preview(input);
    input.addEventListener("focus", function () {
      var raw = withoutSeparators(input.value);
      if (raw === input.value) return;
      input.value = raw;
      input.select(); // as a spreadsheet cell: typing replaces the value
    });
    input.addEventListener("blur", function () { input.value = withSeparators(input.value.trim()); });
    input.addEventListener("input", function () { preview(input); });
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

  // Sent as typed, without the separators the page added: an untouched cell then equals
  // the value the page showed and is not sent again.
  form.addEventListener("submit", function () {
    values.forEach(function (input) { input.value = withoutSeparators(input.value); });
  });
})();
