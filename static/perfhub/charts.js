// What every chart of PerfHub shares: one palette (one colour per side, management and
// business, on every chart; the status colours of the heatmap and the tables), one number
// formatter (the rule of the server's `readable` filter, metrics/templatetags/metrics_tags.py:
// 万 and 亿 in Chinese, thousands separators in English, two decimals at most) and the
// page's language, read from <html lang>. Loaded before dashboard.js, kpi.js, influence.js.
//
// Names typed by users reach a tooltip only through `PerfhubCharts.esc`
// (echarts.format.encodeHTML): ECharts puts what a tooltip formatter returns into the page
// as HTML.
(function () {
  "use strict";
  var lang = (document.documentElement.getAttribute("lang") || "zh-hans").toLowerCase();
  var english = lang.indexOf("en") === 0;

  var palette = {
    management: "#0b8fb0",
    business: "#e8590c",
    company: "#6f42c1",
    target: "#198754",
    reference: "#6c757d",
    background: "#ffffff",
    grey: "#ced4da",
    red: "#dc3545",
    amber: "#ffc107",
    green: "#198754",
  };

  var SUFFIX = { percent: "%", minutes: " min", hours: " h", days: " d" };
  var SUFFIX_ZH = { percent: "%", minutes: " 分钟", hours: " 小时", days: " 天" };

  // A decimal string rounded to two places, half to even (Python's Decimal.quantize), then
  // without trailing zeros: "1666666.665" → "1666666.66", "85.50" → "85.5".
  function trim(number) {
    var text = String(number);
    if (/e/i.test(text)) text = Number(number).toFixed(6);
    var negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var parts = text.split(".");
    var whole = parts[0];
    var decimals = (parts[1] || "") + "000";
    var kept = whole + decimals.slice(0, 2);
    var rest = decimals.slice(2).replace(/0+$/, "");
    var up = false;
    if (rest.length) {
      var first = rest.charAt(0);
      if (first > "5" || (first === "5" && rest.length > 1)) up = true;
      else if (first === "5") up = Number(kept.charAt(kept.length - 1)) % 2 === 1;
    }
    var digits = kept.split("").map(Number);
    if (up) {
      var i = digits.length - 1;
      while (i >= 0 && digits[i] === 9) { digits[i] = 0; i -= 1; }
      if (i < 0) digits.unshift(1); else digits[i] += 1;
    }
    var all = digits.join("");
    var intPart = all.slice(0, all.length - 2).replace(/^0+(?=\d)/, "") || "0";
    var decPart = all.slice(all.length - 2).replace(/0+$/, "");
    var result = decPart ? intPart + "." + decPart : intPart;
    if (negative && /[1-9]/.test(result)) result = "-" + result;
    return result;
  }

  // A number as people read it, as the server's `readable` filter writes it.
  function readable(value, unit) {
    if (value === null || value === undefined || value === "") return "—";
    var number = Number(value);
    if (!isFinite(number)) return "—";
    unit = unit || "";
    var big = unit === "currency" || unit === "count" || unit === "";
    if (!english) {
      if (big && Math.abs(number) >= 1e8) return trim(number / 1e8) + "亿";
      if (big && Math.abs(number) >= 1e4) return trim(number / 1e4) + "万";
      return trim(number) + (SUFFIX_ZH[unit] || "");
    }
    var whole = trim(number);
    var sign = whole.charAt(0) === "-" ? "-" : "";
    var parts = whole.replace("-", "").split(".");
    var grouped = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + grouped + (parts[1] ? "." + parts[1] : "") + (SUFFIX[unit] || "");
  }

  // An axis label: the same rule, without the unit (the axis is named).
  function axis(unit) {
    return function (value) { return readable(value, unit === "percent" ? "" : unit); };
  }

  function init(el) {
    return echarts.init(el, null, { renderer: "svg", locale: english ? "EN" : "ZH" });
  }

  window.PerfhubCharts = {
    english: english,
    palette: palette,
    readable: readable,
    axis: axis,
    init: init,
    esc: function (text) { return echarts.format.encodeHTML(String(text)); },
  };
})();
