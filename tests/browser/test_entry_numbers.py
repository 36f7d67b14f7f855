"""The entry conveniences of issue 16 §5 in a real browser: 120万 typed saves 1200000;
thousands separators while a cell is not focused, raw while it is edited; a visible label
on every field at a phone's width; the live score preview equal to the server's score once
the worker has recomputed the scorecard; and static/perfhub/entry.js against the Python
reference (metrics.scoring, perfhub.numbers) on generated cases."""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from metrics import scoring
from perfhub.numbers import NumberRefused, read_number
from tests.metrics.test_typed_values import ACCEPTED, REFUSED

from .journey import Visitor
from .test_manager_journey import KPI_SQL, green_value, new_context, open_months

pytestmark = pytest.mark.browser

SHOTS = "/tmp/numbers-shots"


def _entries(stack, browser, axe_source, lang, **context_args):
    context = new_context(browser, stack, lang, **context_args)
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    v.sign_in("manager")
    return context, page, v


def _kpis(page, stack):
    inputs = page.locator("input.entry-value:not([disabled])")
    ids = [int(inputs.nth(i).get_attribute("id")[2:]) for i in range(inputs.count())]
    return ids, {row[0]: row for row in stack.sql(KPI_SQL, [ids])}


def test_typing_120万_saves_1200000_and_separators_show_on_blur(stack, browser, axe_source):
    period_id = open_months(stack)[2]
    context, page, v = _entries(
        stack, browser, axe_source, "zh-hans", viewport={"width": 1280, "height": 900}
    )
    try:
        v.goto(f"/o/{stack.org}/entries/?period={period_id}")
        ids, kpis = _kpis(page, stack)
        revenue = next(k for k in ids if kpis[k][6] == "sales_revenue")
        cell = page.locator(f"#v-{revenue}")
        cell.fill("120万")
        page.fill(f"#n-{revenue}", "浏览器测试")
        cell.press("Tab")
        assert cell.input_value() == "120万"  # not a plain number: left as typed
        v.submit("#entry-form button[type=submit]")
        assert page.locator(".alert-success").count() == 1, page.content()[-3000:]
        saved = stack.sql(
            "SELECT value FROM metrics_actual WHERE kpi_id = %s AND period_id = %s",
            [revenue, period_id],
        )
        assert saved == [(Decimal(1200000),)]
        # Shown back with separators; raw while edited; and it is not sent again unchanged.
        assert cell.input_value() == "1,200,000"
        cell.focus()
        assert cell.input_value() == "1200000"
        cell.fill("1234567.5")
        cell.press("Tab")
        assert cell.input_value() == "1,234,567.5"
        page.screenshot(path=f"{SHOTS}/entries-zh-1280.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_every_field_has_a_visible_label_at_375(stack, browser, axe_source, lang):
    context, page, v = _entries(
        stack,
        browser,
        axe_source,
        lang,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        v.goto(f"/o/{stack.org}/entries/?period={open_months(stack)[-1]}")
        fields = page.locator("input.entry-value:not([disabled]), input.entry-note:not([disabled])")
        assert fields.count() >= 10
        expected = {"zh-hans": ("数值", "备注"), "en": ("Value", "Note")}[lang]
        for i in range(fields.count()):
            field = fields.nth(i)
            label = page.locator(f"label[for='{field.get_attribute('id')}'] span[aria-hidden]")
            assert label.is_visible(), field.get_attribute("id")
            text = label.inner_text().strip()
            assert text == expected[0 if "entry-value" in field.get_attribute("class") else 1]
            box, field_box = label.bounding_box(), field.bounding_box()
            assert box["width"] > 10 and box["height"] > 8
            # Just above its field, within the screen.
            assert 0 <= field_box["y"] - box["y"] < 40 and box["x"] + box["width"] <= 375
        page.screenshot(path=f"{SHOTS}/entries-{lang}-375.png", full_page=True)
    finally:
        context.close()


def test_live_preview_equals_the_server_s_score_after_save(stack, browser, axe_source):
    period_id = open_months(stack)[3]
    context, page, v = _entries(
        stack, browser, axe_source, "en", viewport={"width": 1280, "height": 900}
    )
    org = f"/o/{stack.org}"
    try:
        v.goto(f"{org}/entries/?period={period_id}")
        ids, kpis = _kpis(page, stack)
        previewed, awaiting = {}, []
        factors = (Decimal("0.3"), Decimal("0.9"), Decimal("1.05"))
        for k in ids:
            row = page.locator("tr", has=page.locator(f"#v-{k}"))
            target = row.get_attribute("data-target")
            if not target:  # not scored: any value
                page.fill(f"#v-{k}", green_value(kpis[k]))
                page.fill(f"#n-{k}", "Browser test")
                continue
            # Counts only once its confirmer confirms it (the demo's revenue): the scorecard
            # keeps its line until then.
            pending = row.locator(".sign-off-needed, .sign-off-pending").count() > 0
            n = len(awaiting) if pending else len(previewed)
            value = Decimal(target) * factors[n % 3]
            places = Decimal(1) if kpis[k][4] == "count" else Decimal("0.01")
            page.fill(f"#v-{k}", format(value.quantize(places), "f"))
            page.fill(f"#n-{k}", "Browser test")
            preview = page.locator(f"#p-{k}")
            if pending:
                awaiting.append(k)
                continue
            if preview.get_attribute("data-score"):
                previewed[k] = (
                    preview.get_attribute("data-score"),
                    preview.get_attribute("data-status"),
                )
        assert len(previewed) >= 3, previewed
        assert {status for _score, status in previewed.values()} >= {"green", "red"}
        saved_at = time.time()
        v.submit("#entry-form button[type=submit]")
        assert page.locator(".alert-success").count() == 1
        for k in awaiting:  # saved, waiting for its confirmer
            row = page.locator("tr", has=page.locator(f"#v-{k}"))
            assert row.locator(".sign-off-pending").count() == 1, k
        deadline = time.monotonic() + 60
        while True:
            rows = stack.sql(
                "SELECT kpi_id, score, status, extract(epoch FROM computed_at) "
                "FROM reviews_scorecardline WHERE period_id = %s AND kpi_id = ANY(%s)",
                [period_id, list(previewed)],
            )
            lines = {r[0]: r for r in rows if float(r[3]) >= saved_at - 1}
            if len(lines) == len(previewed):
                break
            assert time.monotonic() < deadline, "the scorecard was never recomputed"
            time.sleep(1)
        for k, (score, status) in previewed.items():
            _k, server_score, server_status, _at = lines[k]
            assert Decimal(score) == scoring.round_display(server_score), k
            assert status == server_status, k
    finally:
        context.close()


# --- entry.js against the Python reference ---------------------------------------------------


def _python_score(rule: dict, actual: Decimal):
    try:
        score = scoring.kpi_score(
            scoring.KpiRule(
                direction=rule["direction"],
                target=rule["target"],
                threshold=rule["threshold"],
                target_max=rule["target_max"],
                cap=rule["cap"],
            ),
            actual,
        )
    except scoring.TargetError:
        return None, "grey"
    return str(scoring.round_display(score)), str(scoring.kpi_status(score, Decimal(80)))


def _generated_cases(count: int, seed: int = 16) -> list[dict]:
    rnd = random.Random(seed)

    def number(low, high):
        return Decimal(rnd.randint(low * 10, high * 10)) / 10

    cases = []
    for _ in range(count):
        direction = rnd.choice(["higher_is_better", "lower_is_better", "within_range"])
        target = number(-200, 2000) if rnd.random() > 0.05 else None
        threshold = number(-500, 3000) if rnd.random() > 0.3 else None
        target_max = None
        if direction == "within_range":
            threshold = number(0, 300) if rnd.random() > 0.1 else threshold
            if target is not None and rnd.random() > 0.1:
                target_max = target + number(0, 500)
        cap = rnd.choice([Decimal(100), Decimal(120), Decimal(150), Decimal(90)])
        actual = number(-500, 3000)
        if target is not None and rnd.random() < 0.15:
            actual = target  # exactly on target: green on both sides
        cases.append(
            {
                "rule": {
                    "direction": direction,
                    "target": target,
                    "threshold": threshold,
                    "target_max": target_max,
                    "cap": cap,
                },
                "actual": actual,
            }
        )
    return cases


JS_SCORES = """(cases) => cases.map(({rule, actual}) => {
  const r = {direction: rule.direction, target: rule.target, threshold: rule.threshold,
             targetMax: rule.target_max, cap: rule.cap};
  const score = window.PerfHubEntry.kpiScore(r, actual);
  return [score === null ? null : window.PerfHubEntry.roundDisplay(score, 1).toFixed(1),
          window.PerfHubEntry.kpiStatus(score, 80)];
})"""

JS_NUMBERS = """(texts) => texts.map((t) => {
  const n = window.PerfHubEntry.readNumber(t);
  return n === undefined ? "refused" : n === null ? null : n.value;
})"""


def test_entry_js_scores_as_the_python_reference(stack, browser, axe_source):
    context, page, v = _entries(
        stack, browser, axe_source, "en", viewport={"width": 1280, "height": 900}
    )
    try:
        v.goto(f"/o/{stack.org}/entries/?period={open_months(stack)[-1]}")
        cases = _generated_cases(2000)

        def as_js(value):
            return None if value is None else float(value)

        js = page.evaluate(
            JS_SCORES,
            [
                {
                    "rule": {k: as_js(x) if k != "direction" else x for k, x in c["rule"].items()},
                    "actual": float(c["actual"]),
                }
                for c in cases
            ],
        )
        mismatches = []
        for case, (score, status) in zip(cases, js, strict=True):
            expected = _python_score(case["rule"], case["actual"])
            if (score, status) != expected:
                mismatches.append((case, (score, status), expected))
        assert not mismatches, mismatches[:5]
        # Both kinds of outcome are covered: scored rules and refused ones, every status.
        statuses = {status for _score, status in js}
        assert statuses == {"green", "amber", "red", "grey"}, statuses

        texts = [t for t, _v in ACCEPTED] + [t for t, _m in REFUSED if "not allowed" not in _m]
        numbers = page.evaluate(JS_NUMBERS, texts)
        for text, got in zip(texts, numbers, strict=True):
            try:
                typed = read_number(text)
                expected = None if typed is None else float(typed.value)
            except NumberRefused:
                expected = "refused"
            assert got == expected, (text, got, expected)
    finally:
        context.close()
