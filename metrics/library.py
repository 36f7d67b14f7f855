"""The built-in indicator library and templates every new organization starts with (SPEC §8).

Pure data, no Django import: the seeding service turns these frozen dataclasses into the
organization's own Indicator and Template rows, which HR then edits freely. Every target
here is only a default.

Conventions:
- ``default_target`` / ``default_threshold`` / ``default_target_max`` are stated for
  ``target_period`` (e.g. turnover 10 % per *year*, sales 5,000,000 per *quarter*).
- ``tracked`` indicators are the components of formulas (and other raw counts): they are
  entered with weight 0, never scored, and need no target.
- ``computed`` marks the one indicator whose actual is derived from cross-department
  feedback rather than typed (``internal_service_satisfaction``).
- A template item with ``target=None`` takes the indicator's default target, threshold
  and target_max; a scored item (weight > 0) always ends with a target.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

KINDS = ("management", "business")
FUNCTIONS = (
    "hr",
    "finance",
    "admin",
    "it",
    "legal",
    "sales",
    "production",
    "rnd",
    "service",
    "marketing",
    "other",
)
UNITS = ("percent", "currency", "minutes", "hours", "days", "count", "score", "ratio")
DIRECTIONS = ("higher_is_better", "lower_is_better", "within_range")
AGGREGATIONS = ("sum", "average", "last", "min", "max", "formula")
PERSPECTIVES = ("financial", "customer", "process", "learning")
PERIOD_KINDS = ("month", "quarter", "year")


@dataclass(frozen=True, kw_only=True)
class LibraryIndicator:
    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    kind: str  # management | business
    unit: str  # see UNITS
    direction: str  # see DIRECTIONS
    aggregation: str  # see AGGREGATIONS
    formula: str = ""  # only when aggregation == "formula"
    perspective: str  # see PERSPECTIVES
    frequency: str = "month"  # entry frequency
    default_target: Decimal | None
    default_threshold: Decimal | None
    default_target_max: Decimal | None = None  # only for within_range
    # The values an actual may take; None: the unit's default (metrics.values.value_bounds).
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    target_period: str = "month"  # the period kind the default target is stated for
    computed: bool = False  # actual derived from feedback, never typed
    tracked: bool = False  # formula component: weight 0, no target


@dataclass(frozen=True)
class TemplateItem:
    indicator_code: str
    weight: Decimal
    target: Decimal | None = None  # None: the indicator's default target/threshold/target_max
    threshold: Decimal | None = None
    target_max: Decimal | None = None


@dataclass(frozen=True)
class LibraryTemplate:
    code: str
    name_zh: str
    name_en: str
    kind: str
    function: str
    items: tuple[TemplateItem, ...]


D = Decimal

INDICATORS: tuple[LibraryIndicator, ...] = (
    # --- Management: people -------------------------------------------------------------
    LibraryIndicator(
        code="turnover_rate",
        name_zh="员工流失率",
        name_en="Staff turnover rate",
        description_zh="离职人数除以同期平均在职人数再乘以 100，按年度考核。",
        description_en=(
            "Leavers divided by the period's average headcount, times 100, judged per year."
        ),
        kind="management",
        unit="percent",
        direction="lower_is_better",
        aggregation="formula",
        formula="leavers / headcount * 100",
        perspective="learning",
        default_target=D("10"),
        default_threshold=D("20"),
        target_period="year",
    ),
    LibraryIndicator(
        code="leavers",
        name_zh="离职人数",
        name_en="Leavers",
        description_zh="当期办理离职手续的员工人数（含主动与被动离职）。",
        description_en="Number of employees who left in the period, voluntarily or not.",
        kind="management",
        unit="count",
        direction="lower_is_better",
        aggregation="sum",
        perspective="learning",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    LibraryIndicator(
        code="headcount",
        name_zh="在职人数",
        name_en="Headcount",
        description_zh="期末在册的在职员工人数，较长期间取各月平均值。",
        description_en=(
            "Employees on the payroll at the end of the month; longer periods use the average."
        ),
        kind="management",
        unit="count",
        direction="higher_is_better",
        aggregation="average",
        perspective="learning",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    LibraryIndicator(
        code="employee_satisfaction",
        name_zh="员工满意度",
        name_en="Employee satisfaction",
        description_zh="员工满意度调查中给出满意或非常满意评价的受访者所占百分比。",
        description_en=(
            "Share of employee-survey respondents rating themselves satisfied or very satisfied."
        ),
        kind="management",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="learning",
        default_target=D("85"),
        default_threshold=D("50"),
        value_min=D("0"),  # a share of respondents
        value_max=D("100"),
    ),
    # --- Management: coordination and decisions -----------------------------------------
    LibraryIndicator(
        code="email_reply_hours",
        name_zh="内部邮件平均回复时长",
        name_en="Average internal email reply time",
        description_zh="部门收到内部工作邮件至首次回复的平均小时数（按抽样或邮件系统统计）。",
        description_en=(
            "Average hours from receiving an internal work email to the department's first "
            "reply, sampled or taken from the mail system."
        ),
        kind="management",
        unit="hours",
        direction="lower_is_better",
        aggregation="average",
        perspective="process",
        default_target=D("24"),
        default_threshold=D("48"),
    ),
    LibraryIndicator(
        code="meeting_resolution_rate",
        name_zh="跨部门会议问题解决率",
        name_en="Cross-department meeting resolution rate",
        description_zh="跨部门会议上提出的问题中，在约定期限内得到解决的问题所占百分比。",
        description_en=(
            "Share of issues raised in cross-department meetings that were resolved by their "
            "agreed deadline."
        ),
        kind="management",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="process",
        default_target=D("80"),
        default_threshold=D("40"),
    ),
    LibraryIndicator(
        code="decision_success_rate",
        name_zh="决策成功率",
        name_en="Decision success rate",
        description_zh="经事后复盘判定达到预期目标的决策数除以复盘决策总数再乘以 100。",
        description_en=(
            "Decisions judged successful in their follow-up review, divided by all decisions "
            "reviewed, times 100."
        ),
        kind="management",
        unit="percent",
        direction="higher_is_better",
        aggregation="formula",
        formula="successful_decisions / reviewed_decisions * 100",
        perspective="process",
        default_target=D("80"),
        default_threshold=D("40"),
    ),
    LibraryIndicator(
        code="successful_decisions",
        name_zh="成功决策数",
        name_en="Successful decisions",
        description_zh="当期复盘中被判定达到预期目标的决策数量。",
        description_en=(
            "Number of decisions that met their intended goal when reviewed in the period."
        ),
        kind="management",
        unit="count",
        direction="higher_is_better",
        aggregation="sum",
        perspective="process",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    LibraryIndicator(
        code="reviewed_decisions",
        name_zh="复盘决策数",
        name_en="Reviewed decisions",
        description_zh="当期完成事后复盘的决策总数。",
        description_en="Number of decisions whose outcome was reviewed in the period.",
        kind="management",
        unit="count",
        direction="higher_is_better",
        aggregation="sum",
        perspective="process",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    # --- Management: money and support ---------------------------------------------------
    LibraryIndicator(
        code="process_savings",
        name_zh="流程优化节省成本",
        name_en="Savings from process improvement",
        description_zh="经财务确认的、因流程优化在当期实际节省的成本金额。",
        description_en=(
            "Cost actually saved in the period by process improvements, as confirmed by finance."
        ),
        kind="management",
        unit="currency",
        direction="higher_is_better",
        aggregation="sum",
        perspective="financial",
        default_target=None,
        default_threshold=None,
    ),
    LibraryIndicator(
        code="budget_execution",
        name_zh="预算执行率",
        name_en="Budget execution",
        description_zh="截至期末的累计实际支出占同期累计预算的百分比，95%–105% 为达标区间。",
        description_en=(
            "Year-to-date actual spending as a percentage of year-to-date budget; 95–105 % "
            "is on target."
        ),
        kind="management",
        unit="percent",
        direction="within_range",
        aggregation="last",
        perspective="financial",
        default_target=D("95"),
        default_threshold=D("10"),
        default_target_max=D("105"),
    ),
    LibraryIndicator(
        code="internal_service_satisfaction",
        name_zh="内部服务满意度",
        name_en="Internal service satisfaction (from business departments' feedback)",
        description_zh="由业务部门对本部门支持工作的 1–5 分评价自动计算得出，换算为百分制。",
        description_en=(
            "Computed from the 1–5 ratings business departments give this department's "
            "support, expressed as a percentage."
        ),
        kind="management",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="customer",
        default_target=D("80"),
        default_threshold=D("40"),
        computed=True,
    ),
    # --- Business: revenue and profit ----------------------------------------------------
    LibraryIndicator(
        code="sales_revenue",
        name_zh="销售额",
        name_en="Sales revenue",
        description_zh="当期确认的销售收入金额（不含税）。",
        description_en="Revenue recognised from sales in the period, excluding tax.",
        kind="business",
        unit="currency",
        direction="higher_is_better",
        aggregation="sum",
        perspective="financial",
        default_target=D("5000000"),
        default_threshold=D("0"),
        target_period="quarter",
    ),
    LibraryIndicator(
        code="profit_margin",
        name_zh="利润率",
        name_en="Profit margin",
        description_zh="当期利润除以同期销售额再乘以 100。",
        description_en="Profit for the period divided by sales revenue, times 100.",
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="formula",
        formula="profit / sales_revenue * 100",
        perspective="financial",
        default_target=None,
        default_threshold=None,
    ),
    LibraryIndicator(
        code="profit",
        name_zh="利润",
        name_en="Profit",
        description_zh="当期销售额扣除相应成本与费用后的利润金额。",
        description_en="Sales revenue for the period less its attributable costs and expenses.",
        kind="business",
        unit="currency",
        direction="higher_is_better",
        aggregation="sum",
        perspective="financial",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    # --- Business: customers -------------------------------------------------------------
    LibraryIndicator(
        code="customer_growth",
        name_zh="客户数量增长率",
        name_en="Customer count growth",
        description_zh="当期净增客户数占期初客户数的百分比，较长期间为各月之和。",
        description_en=(
            "Net new customers in the period as a percentage of customers at its start; "
            "longer periods add up the months."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="sum",
        perspective="customer",
        default_target=None,
        default_threshold=None,
    ),
    LibraryIndicator(
        code="customer_acquisition_cost",
        name_zh="客户获取成本",
        name_en="Customer acquisition cost",
        description_zh="获客投入（市场与销售费用）除以同期新增客户数。",
        description_en=(
            "Marketing and sales spending on acquisition divided by the new customers won "
            "in the same period."
        ),
        kind="business",
        unit="currency",
        direction="lower_is_better",
        aggregation="formula",
        formula="acquisition_spend / new_customers",
        perspective="customer",
        default_target=D("100"),
        default_threshold=D("200"),
    ),
    LibraryIndicator(
        code="acquisition_spend",
        name_zh="获客投入",
        name_en="Acquisition spend",
        description_zh="当期用于获取新客户的市场与销售费用总额。",
        description_en="Marketing and sales spending aimed at winning new customers in the period.",
        kind="business",
        unit="currency",
        direction="lower_is_better",
        aggregation="sum",
        perspective="financial",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    LibraryIndicator(
        code="new_customers",
        name_zh="新增客户数",
        name_en="New customers",
        description_zh="当期首次成交的新客户数量。",
        description_en="Number of customers who bought for the first time in the period.",
        kind="business",
        unit="count",
        direction="higher_is_better",
        aggregation="sum",
        perspective="customer",
        default_target=None,
        default_threshold=None,
        tracked=True,
    ),
    LibraryIndicator(
        code="customer_satisfaction",
        name_zh="客户满意度",
        name_en="Customer satisfaction",
        description_zh="客户满意度调查中给出满意或非常满意评价的受访客户所占百分比。",
        description_en=(
            "Share of customer-survey respondents rating the company satisfied or very satisfied."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="customer",
        default_target=D("90"),
        default_threshold=D("50"),
        value_min=D("0"),  # a share of respondents
        value_max=D("100"),
    ),
    LibraryIndicator(
        code="cooperation",
        name_zh="部门协作",
        name_en="Cooperation (from management departments' feedback)",
        description_zh="由管理部门对本部门协作情况的 1–5 分评价自动计算得出，换算为百分制。",
        description_en=(
            "Computed from the 1–5 ratings management departments give this department's "
            "cooperation, expressed as a percentage. Given to business departments only when "
            "the organization turns the cooperation KPI on."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="process",
        default_target=D("80"),
        default_threshold=D("40"),
        computed=True,
    ),
    LibraryIndicator(
        code="first_response_minutes",
        name_zh="首次响应时间",
        name_en="First response time",
        description_zh="从客户提交咨询或工单到首次人工回复的平均分钟数。",
        description_en=(
            "Average minutes from a customer's request or ticket to the first human reply."
        ),
        kind="business",
        unit="minutes",
        direction="lower_is_better",
        aggregation="average",
        perspective="customer",
        default_target=D("15"),
        default_threshold=D("30"),
    ),
    # --- Business: operations ------------------------------------------------------------
    LibraryIndicator(
        code="compliance_incidents",
        name_zh="合规事件数",
        name_en="Compliance incidents",
        description_zh="当期发生并经确认的违规、审计发现或监管处罚事件数量。",
        description_en=(
            "Confirmed breaches, audit findings or regulatory penalties recorded in the period."
        ),
        kind="business",
        unit="count",
        direction="lower_is_better",
        aggregation="sum",
        perspective="process",
        default_target=D("0"),
        default_threshold=D("3"),
    ),
    LibraryIndicator(
        code="first_pass_yield",
        name_zh="产品一次合格率",
        name_en="First-pass yield",
        description_zh="首次检验即合格、无需返工的产品数量占总产量的百分比。",
        description_en=(
            "Units passing inspection the first time, without rework, as a percentage of "
            "units produced."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="process",
        default_target=D("98"),
        default_threshold=D("90"),
    ),
    LibraryIndicator(
        code="on_time_delivery",
        name_zh="按时交付率",
        name_en="On-time delivery",
        description_zh="在承诺日期或之前完成交付的订单数占应交付订单总数的百分比。",
        description_en=(
            "Orders delivered on or before the promised date as a percentage of orders due."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="customer",
        default_target=D("95"),
        default_threshold=D("70"),
    ),
    LibraryIndicator(
        code="rnd_milestones_on_time",
        name_zh="研发里程碑按期完成率",
        name_en="R&D milestones on time",
        description_zh="当期按计划日期完成的研发里程碑数占计划到期里程碑总数的百分比。",
        description_en=(
            "R&D milestones completed by their planned date as a percentage of milestones "
            "due in the period."
        ),
        kind="business",
        unit="percent",
        direction="higher_is_better",
        aggregation="average",
        perspective="learning",
        default_target=D("85"),
        default_threshold=D("50"),
    ),
)

_BY_CODE: dict[str, LibraryIndicator] = {i.code: i for i in INDICATORS}


def indicator(code: str) -> LibraryIndicator:
    """Return the built-in indicator with this code; KeyError when there is none."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"No built-in indicator with code {code!r}") from None


T = TemplateItem

TEMPLATES: tuple[LibraryTemplate, ...] = (
    LibraryTemplate(
        code="hr_standard",
        name_zh="人力资源部标准",
        name_en="HR department standard",
        kind="management",
        function="hr",
        items=(
            T("turnover_rate", D("25")),
            T("leavers", D("0")),
            T("headcount", D("0")),
            T("employee_satisfaction", D("25")),
            T("internal_service_satisfaction", D("20")),
            T("email_reply_hours", D("10")),
            T("meeting_resolution_rate", D("10")),
            T("decision_success_rate", D("10")),
            T("successful_decisions", D("0")),
            T("reviewed_decisions", D("0")),
        ),
    ),
    LibraryTemplate(
        code="finance_standard",
        name_zh="财务部标准",
        name_en="Finance department standard",
        kind="management",
        function="finance",
        items=(
            T("budget_execution", D("25")),
            T("internal_service_satisfaction", D("20")),
            # 50,000 a month (600,000 a year); HR adjusts to the company's size.
            T("process_savings", D("15"), target=D("50000"), threshold=D("0")),
            T("compliance_incidents", D("10")),
            T("decision_success_rate", D("10")),
            T("successful_decisions", D("0")),
            T("reviewed_decisions", D("0")),
            T("email_reply_hours", D("10")),
            T("meeting_resolution_rate", D("10")),
        ),
    ),
    LibraryTemplate(
        code="admin_standard",
        name_zh="行政部标准",
        name_en="Administration department standard",
        kind="management",
        function="admin",
        items=(
            T("internal_service_satisfaction", D("30")),
            T("meeting_resolution_rate", D("20")),
            T("email_reply_hours", D("15")),
            # 20,000 a month from purchasing, facilities and office processes.
            T("process_savings", D("15"), target=D("20000"), threshold=D("0")),
            T("budget_execution", D("10")),
            T("employee_satisfaction", D("10")),
        ),
    ),
    LibraryTemplate(
        code="sales_standard",
        name_zh="销售部标准",
        name_en="Sales department standard",
        kind="business",
        function="sales",
        items=(
            T("sales_revenue", D("35")),
            T("profit_margin", D("20"), target=D("15"), threshold=D("5")),
            T("profit", D("0")),
            # Monthly net growth; summed, 2 % a month is 24 % a year.
            T("customer_growth", D("15"), target=D("2"), threshold=D("0")),
            T("customer_acquisition_cost", D("15")),
            T("acquisition_spend", D("0")),
            T("new_customers", D("0")),
            T("customer_satisfaction", D("15")),
        ),
    ),
    LibraryTemplate(
        code="production_standard",
        name_zh="生产部标准",
        name_en="Production department standard",
        kind="business",
        function="production",
        items=(
            T("first_pass_yield", D("35")),
            T("on_time_delivery", D("35")),
            T("compliance_incidents", D("15")),
            T("customer_satisfaction", D("15")),
        ),
    ),
    LibraryTemplate(
        code="rnd_standard",
        name_zh="研发部标准",
        name_en="R&D department standard",
        kind="business",
        function="rnd",
        items=(
            T("rnd_milestones_on_time", D("45")),
            T("first_pass_yield", D("20")),
            T("on_time_delivery", D("15")),
            T("customer_satisfaction", D("10")),
            T("compliance_incidents", D("10")),
        ),
    ),
    LibraryTemplate(
        code="service_standard",
        name_zh="客户服务部标准",
        name_en="Customer service department standard",
        kind="business",
        function="service",
        items=(
            T("customer_satisfaction", D("45")),
            T("first_response_minutes", D("35")),
            T("compliance_incidents", D("20")),
        ),
    ),
)

# D and T are shorthands for the tables above only.
del T, D
