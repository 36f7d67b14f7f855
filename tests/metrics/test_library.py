"""The built-in library (SPEC §8) is complete, consistent and seeds scoreable templates."""

import ast
from decimal import Decimal

import pytest

from metrics import library
from metrics.library import INDICATORS, TEMPLATES, LibraryIndicator, TemplateItem, indicator

# SPEC §8, row by row: code, 中文, English, kind, unit, direction, aggregation, formula,
# default target, default threshold. None for "set by HR" and for tracked components.
SPEC_ROWS = [
    ("turnover_rate", "员工流失率", "Staff turnover rate", "management", "percent",
     "lower_is_better", "formula", "leavers / headcount * 100", "10", "20"),
    ("leavers", "离职人数", "Leavers", "management", "count",
     "lower_is_better", "sum", "", None, None),
    ("headcount", "在职人数", "Headcount", "management", "count",
     "higher_is_better", "average", "", None, None),
    ("email_reply_hours", "内部邮件平均回复时长", "Average internal email reply time",
     "management", "hours", "lower_is_better", "average", "", "24", "48"),
    ("meeting_resolution_rate", "跨部门会议问题解决率",
     "Cross-department meeting resolution rate", "management", "percent",
     "higher_is_better", "average", "", "80", "40"),
    ("decision_success_rate", "决策成功率", "Decision success rate", "management", "percent",
     "higher_is_better", "formula", "successful_decisions / reviewed_decisions * 100",
     "80", "40"),
    ("process_savings", "流程优化节省成本", "Savings from process improvement", "management",
     "currency", "higher_is_better", "sum", "", None, None),
    ("employee_satisfaction", "员工满意度", "Employee satisfaction", "management", "percent",
     "higher_is_better", "average", "", "85", "50"),
    ("internal_service_satisfaction", "内部服务满意度",
     "Internal service satisfaction (from business departments' feedback)", "management",
     "percent", "higher_is_better", None, "", "80", "40"),
    ("sales_revenue", "销售额", "Sales revenue", "business", "currency",
     "higher_is_better", "sum", "", "5000000", "0"),
    ("profit_margin", "利润率", "Profit margin", "business", "percent",
     "higher_is_better", "formula", "profit / sales_revenue * 100", None, None),
    ("customer_growth", "客户数量增长率", "Customer count growth", "business", "percent",
     "higher_is_better", "sum", "", None, None),
    ("customer_acquisition_cost", "客户获取成本", "Customer acquisition cost", "business",
     "currency", "lower_is_better", "formula", "acquisition_spend / new_customers",
     "100", "200"),
    ("customer_satisfaction", "客户满意度", "Customer satisfaction", "business", "percent",
     "higher_is_better", "average", "", "90", "50"),
    ("first_response_minutes", "首次响应时间", "First response time", "business", "minutes",
     "lower_is_better", "average", "", "15", "30"),
    ("compliance_incidents", "合规事件数", "Compliance incidents", "business", "count",
     "lower_is_better", "sum", "", "0", "3"),
    ("first_pass_yield", "产品一次合格率", "First-pass yield", "business", "percent",
     "higher_is_better", "average", "", "98", "90"),
    ("on_time_delivery", "按时交付率", "On-time delivery", "business", "percent",
     "higher_is_better", "average", "", "95", "70"),
    ("rnd_milestones_on_time", "研发里程碑按期完成率", "R&D milestones on time", "business",
     "percent", "higher_is_better", "average", "", "85", "50"),
    ("budget_execution", "预算执行率", "Budget execution", "management", "percent",
     "within_range", "last", "", "95", "10"),
]  # fmt: skip

FORMULA_COMPONENTS = {
    "leavers",
    "headcount",
    "successful_decisions",
    "reviewed_decisions",
    "profit",
    "acquisition_spend",
    "new_customers",
}

TEMPLATE_FUNCTIONS = {
    "hr": "management",
    "finance": "management",
    "admin": "management",
    "sales": "business",
    "production": "business",
    "rnd": "business",
    "service": "business",
}

ALL_ITEMS = [(t, item) for t in TEMPLATES for item in t.items]


def _item_id(pair):
    template, item = pair
    return f"{template.code}-{item.indicator_code}"


def _formula_codes(formula: str) -> set[str]:
    """The indicator codes an arithmetic formula names; fails on anything but + - * / ()."""
    tree = ast.parse(formula, mode="eval")
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.USub,
        ast.Constant,
        ast.Name,
        ast.Load,
    )
    for node in ast.walk(tree):
        assert isinstance(node, allowed), f"{formula!r}: {type(node).__name__} not allowed"
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _resolved(item: TemplateItem) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(target, threshold, target_max) an applied template item ends with."""
    ind = indicator(item.indicator_code)
    if item.target is None:
        return ind.default_target, ind.default_threshold, ind.default_target_max
    target_max = item.target_max if item.target_max is not None else ind.default_target_max
    return item.target, item.threshold, target_max


def _check_target_and_threshold(direction, target, threshold, target_max):
    """The save-time rule of SPEC §3: threshold on the right side of the target."""
    if direction == "higher_is_better":
        threshold = Decimal(0) if threshold is None else threshold
        assert threshold < target
    elif direction == "lower_is_better":
        assert threshold is not None or target != 0, "threshold required when target is 0"
        threshold = 2 * target if threshold is None else threshold
        assert threshold > target
    else:
        assert threshold is not None and threshold > 0
        assert target_max is not None and target_max >= target


# --- indicators -------------------------------------------------------------------------


def test_indicator_codes_are_unique():
    codes = [i.code for i in INDICATORS]
    assert len(codes) == len(set(codes))


def test_every_spec_code_and_formula_component_is_present():
    codes = {i.code for i in INDICATORS}
    assert {row[0] for row in SPEC_ROWS} <= codes
    assert codes >= FORMULA_COMPONENTS


@pytest.mark.parametrize("row", SPEC_ROWS, ids=lambda row: row[0])
def test_indicator_matches_spec_row(row):
    code, name_zh, name_en, kind, unit, direction, aggregation, formula, target, threshold = row
    ind = indicator(code)
    assert (ind.name_zh, ind.name_en) == (name_zh, name_en)
    assert (ind.kind, ind.unit, ind.direction) == (kind, unit, direction)
    if aggregation is not None:
        assert ind.aggregation == aggregation
    assert ind.formula == formula
    assert ind.default_target == (None if target is None else Decimal(target))
    assert ind.default_threshold == (None if threshold is None else Decimal(threshold))


def test_spec_target_periods_and_band():
    assert indicator("turnover_rate").target_period == "year"
    assert indicator("sales_revenue").target_period == "quarter"
    budget = indicator("budget_execution")
    assert (budget.default_target, budget.default_target_max) == (Decimal(95), Decimal(105))


def test_only_the_feedback_indicators_are_computed():
    assert [(i.code, i.kind) for i in INDICATORS if i.computed] == [
        ("internal_service_satisfaction", "management"),
        ("cooperation", "business"),
    ]


def test_formula_components_are_tracked_without_target():
    for code in FORMULA_COMPONENTS:
        ind = indicator(code)
        assert ind.tracked, code
        assert ind.default_target is None and ind.default_threshold is None, code


@pytest.mark.parametrize("ind", INDICATORS, ids=lambda i: i.code)
def test_indicator_fields_are_valid(ind: LibraryIndicator):
    assert ind.code.isidentifier() and ind.code == ind.code.lower()
    for text in (ind.name_zh, ind.name_en, ind.description_zh, ind.description_en):
        assert text.strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in ind.name_zh + ind.description_zh)
    assert ind.kind in library.KINDS
    assert ind.unit in library.UNITS
    assert ind.direction in library.DIRECTIONS
    assert ind.aggregation in library.AGGREGATIONS
    assert ind.perspective in library.PERSPECTIVES
    assert ind.frequency in library.PERIOD_KINDS
    assert ind.target_period in library.PERIOD_KINDS
    assert (ind.aggregation == "formula") == bool(ind.formula)
    assert not (ind.tracked and ind.computed)
    if ind.default_target is not None:
        _check_target_and_threshold(
            ind.direction, ind.default_target, ind.default_threshold, ind.default_target_max
        )
    if ind.direction != "within_range":
        assert ind.default_target_max is None


@pytest.mark.parametrize("ind", [i for i in INDICATORS if i.formula], ids=lambda i: i.code)
def test_formula_names_only_library_codes(ind: LibraryIndicator):
    names = _formula_codes(ind.formula)
    assert names, ind.formula
    assert ind.code not in names
    for code in names:
        assert indicator(code).aggregation != "formula", f"{code} nests a formula"


def test_indicator_lookup_of_unknown_code_raises_key_error():
    with pytest.raises(KeyError, match="nope"):
        indicator("nope")


# --- templates --------------------------------------------------------------------------


def test_template_codes_are_unique_and_cover_all_seven_functions():
    assert len({t.code for t in TEMPLATES}) == len(TEMPLATES)
    assert sorted(t.function for t in TEMPLATES) == sorted(TEMPLATE_FUNCTIONS)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.code)
def test_template_header_is_valid(template):
    assert template.name_zh.strip() and template.name_en.strip()
    assert template.kind == TEMPLATE_FUNCTIONS[template.function]
    codes = [item.indicator_code for item in template.items]
    assert len(codes) == len(set(codes)), "an indicator appears twice"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.code)
def test_scored_weights_add_up_to_100(template):
    assert all(item.weight >= 0 for item in template.items)
    assert sum(item.weight for item in template.items if item.weight > 0) == 100


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.code)
def test_formula_components_are_included_when_the_formula_is(template):
    codes = {item.indicator_code for item in template.items}
    for code in codes:
        formula = indicator(code).formula
        if formula:
            assert _formula_codes(formula) <= codes, f"{code} lacks its components"


@pytest.mark.parametrize(
    "template", [t for t in TEMPLATES if t.kind == "management"], ids=lambda t: t.code
)
def test_management_templates_include_internal_service_satisfaction(template):
    weights = {item.indicator_code: item.weight for item in template.items}
    assert weights.get("internal_service_satisfaction", 0) > 0


@pytest.mark.parametrize("pair", ALL_ITEMS, ids=_item_id)
def test_template_item_references_an_existing_indicator(pair):
    _, item = pair
    assert indicator(item.indicator_code).code == item.indicator_code


@pytest.mark.parametrize("pair", ALL_ITEMS, ids=_item_id)
def test_tracked_indicators_have_weight_0(pair):
    _, item = pair
    if indicator(item.indicator_code).tracked:
        assert item.weight == 0


@pytest.mark.parametrize("pair", [p for p in ALL_ITEMS if p[1].weight > 0], ids=_item_id)
def test_every_scored_item_ends_with_a_valid_target(pair):
    _, item = pair
    ind = indicator(item.indicator_code)
    target, threshold, target_max = _resolved(item)
    assert target is not None, f"{item.indicator_code} is scored without a target"
    _check_target_and_threshold(ind.direction, target, threshold, target_max)
