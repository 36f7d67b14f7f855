"""The demo organization loaded by `make run` (idempotent: a second run changes nothing)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from briefings.models import Briefing
from briefings.services import briefing_run
from departments import selectors as dept_selectors
from departments import services as dept_services
from departments.models import Department, Membership, Organization, Role
from departments.selectors import managed_department_ids
from discussions.services import post_add
from discussions.subjects import subject_of
from grades import rules as grade_rules
from grades import selectors as grade_selectors
from grades import services as grade_services
from grades.models import Calibration, PublishRule
from metrics import scoring
from metrics import selectors as m_selectors
from metrics.models import Actual, KpiPeriodTarget, PeriodKind, PeriodStatus
from metrics.scoring_rules import rule_for
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.kpis import kpi_update
from metrics.services.period_targets import kpi_period_targets_set
from metrics.services.periods import period_lock, periods_generate
from metrics.services.signoff import actuals_reject
from metrics.services.templates import template_apply
from perfhub import tenancy
from reviews import selectors as review_selectors
from reviews.models import FeedbackDirection
from reviews.services.criteria import criteria_asked, feedback_criteria
from reviews.services.feedback import Rated, feedback_save
from reviews.services.reviews import review_save, review_transition
from scorecards import rollup
from scorecards.models import Action, Goal, ScorecardLine
from scorecards.selectors import goals as goal_selectors
from scorecards.selectors.scorecards import latest_month_with_data
from scorecards.services import (
    ACTION_LINE_STATUSES,
    action_create,
    action_update,
    goal_behind_plan,
    goal_save,
)

DEMO_SLUG = "demo"
DEMO_PASSWORD = "perfhub-demo"  # noqa: S105 - published demo login
# username, role, e-mail, given name, family name. The first four are the demo logins; the
# others manage departments, so that pages name real-looking people in both languages.
DEMO_USERS = (
    ("admin", Role.ADMIN, "admin@demo.perfhub.local", "敏", "赵"),
    ("hr", Role.HR, "hr@demo.perfhub.local", "娜", "李"),
    ("manager", Role.MANAGER, "manager@demo.perfhub.local", "小明", "王"),
    ("executive", Role.EXECUTIVE, "executive@demo.perfhub.local", "伟", "张"),
    ("chen.jing", Role.MANAGER, "chen.jing@demo.perfhub.local", "静", "陈"),
    ("david.miller", Role.MANAGER, "david.miller@demo.perfhub.local", "David", "Miller"),
    ("emily.chen", Role.MANAGER, "emily.chen@demo.perfhub.local", "Emily", "Chen"),
    ("zhou.fang", Role.MANAGER, "zhou.fang@demo.perfhub.local", "芳", "周"),
)
# Who manages which department (the others have no manager yet).
DEMO_MANAGERS = {
    "sales": "manager",
    "production": "chen.jing",
    "rnd": "david.miller",
    "service": "emily.chen",
    "finance": "zhou.fang",
}
# code, 中文, English, kind, function, parent code
DEMO_DEPARTMENTS = (
    ("hr", "人力资源部", "Human Resources", "management", "hr", None),
    ("finance", "财务部", "Finance", "management", "finance", None),
    ("admin", "行政部", "Administration", "management", "admin", None),
    ("sales", "销售部", "Sales", "business", "sales", None),
    ("sales-east", "华东销售组", "East China Sales", "business", "sales", "sales"),
    ("production", "生产部", "Production", "business", "production", None),
    ("rnd", "研发部", "R&D", "business", "rnd", None),
    ("service", "客服部", "Customer Service", "business", "service", None),
)


@transaction.atomic
def load_demo(stdout=None) -> Organization:
    User = get_user_model()
    users = {}
    for username, _role, email, given, family in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "first_name": given, "last_name": family}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        elif not (user.first_name or user.last_name):  # a demo loaded before names existed
            user.first_name, user.last_name = given, family
            user.save(update_fields=["first_name", "last_name"])
        users[username] = user

    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if org is None:
        org = dept_services.organization_create(
            name="示例科技有限公司", slug=DEMO_SLUG, by=users["admin"], language="zh-hans"
        )
    # The organization's rows are written with the database set to it (row-level security).
    with tenancy.org_atomic(org):
        existing_roles = dict(Membership.objects.for_org(org).values_list("user_id", "role"))
        for username, role, *_rest in DEMO_USERS:
            if users[username].pk not in existing_roles:
                Membership.objects.create(organization=org, user=users[username], role=role)

        codes = {d.code: d for d in dept_selectors.department_list(org=org)}
        for code, zh, en, kind, function, parent_code in DEMO_DEPARTMENTS:
            if code in codes:
                continue
            codes[code] = dept_services.department_create(
                org=org,
                by=users["admin"],
                name=zh,
                name_en=en,
                code=code,
                kind=kind,
                function=function,
                parent=codes.get(parent_code) if parent_code else None,
                managers=[users[DEMO_MANAGERS[code]]] if code in DEMO_MANAGERS else [],
            )
        _ensure_demo_data(org, users, codes)
        _demo_calibration(org, users)
        _demo_briefing(org, users)
        _demo_actions(org, users)
        _demo_period_targets(org, users)
    return org


# Component values per month for tracked indicators (base, spread).
_COMPONENTS = {
    "leavers": (2, 2),
    "headcount": (120, 6),
    "successful_decisions": (8, 2),
    "reviewed_decisions": (10, 1),
    "profit": (260000, 60000),
    "acquisition_spend": (90000, 20000),
    "new_customers": (900, 200),
}
# Typical performance (score) per department: some steady, some struggling.
_FORM = {
    "hr": 96,
    "finance": 102,
    "admin": 88,
    "sales": 93,
    "sales-east": 84,
    "production": 99,
    "rnd": 78,
    "service": 105,
}


def _value_for_score(kpi, score: Decimal, months: int) -> Decimal:
    """The actual that earns `score` under the KPI's rule (inverse of SPEC §3)."""
    rule = rule_for(kpi, period_months=months)
    if rule is None:  # scored only over longer periods: aim at the target itself
        return kpi.target
    if rule.direction == "within_range":
        if score >= 100:
            return (rule.target + rule.target_max) / 2
        return rule.target - rule.threshold * (1 - score / 100)
    threshold = scoring.effective_threshold(rule)
    return threshold + (rule.target - threshold) * score / 100


def _ensure_demo_data(org: Organization, users: dict, departments: dict[str, Department]) -> None:
    """Templates applied by function, periods of the last two fiscal years, and twelve months
    of actuals: mostly green and amber, some red (with notes), a few missing. Runs once."""

    if Actual.objects.for_org(org).exists():
        return
    admin = users["admin"]
    templates = {t.function: t for t in m_selectors.template_list(org=org)}
    for department in departments.values():
        template = templates.get(department.function)
        if template is not None:
            template_apply(template=template, departments=[department], by=admin)

    today = timezone.localdate()
    for year in (today.year - 1, today.year):
        periods_generate(org=org, fiscal_year=year, by=admin)
    months = [
        p
        for p in m_selectors.period_list(org=org, kind=PeriodKind.MONTH)
        if p.start <= today and p.start > today - dt.timedelta(days=366)
    ]
    kpis = list(m_selectors.kpi_list(org=org).filter(is_active=True))
    rng = random.Random(20261129)  # the same demo every time
    entries: dict[str, list[ActualInput]] = {}  # by who enters them
    for index, month in enumerate(months):
        current = index == len(months) - 1
        for kpi in kpis:
            indicator = kpi.indicator
            if not indicator.typed or indicator.frequency != month.kind:
                continue
            if current and rng.random() < 0.5:
                continue  # the running month: half entered so far
            if not current and rng.random() < 0.03:
                continue  # a few gaps
            code = indicator.code
            if code in _COMPONENTS:
                base, spread = _COMPONENTS[code]
                value = Decimal(max(0, round(base + rng.uniform(-spread, spread))))
            elif kpi.target is None:
                continue
            else:
                form = _FORM.get(kpi.department.code, 95)
                trend = (index - 6) * 0.6  # most departments improve slowly
                score = Decimal(str(round(form + trend + rng.gauss(0, 12), 1)))
                value = _value_for_score(kpi, score, 1)
                value = max(value, Decimal(0))
                if indicator.unit == "count":
                    value = value.quantize(Decimal(1))
                elif indicator.unit == "percent":
                    value = min(max(value, Decimal(0)), Decimal(1000)).quantize(Decimal("0.1"))
                else:
                    value = max(value, Decimal(0)).quantize(Decimal("0.01"))
            # Each department's manager enters its values; HR those of the others.
            by = DEMO_MANAGERS.get(kpi.department.code, "hr")
            entries.setdefault(by, []).append(
                ActualInput(kpi.pk, month.pk, value, note=_note(rng), ref=f"{kpi.pk}-{month.pk}")
            )
    for username, typed in entries.items():
        actuals_save(
            org=org,
            by=users[username],
            source="import",
            entries=typed,
            can_enter=lambda d: True,
        )
    _demo_feedback(org, users, departments, months, rng)
    _demo_reviews(org, users, departments, months)
    for month in months[:-3]:  # older months are closed
        period_lock(period=month, by=users["hr"], reason="")
    _demo_sign_off(org, users, departments, months[-3:])
    _demo_goals(org, users, kpis, today)
    _demo_threads(org, users, departments, months)


# The notes of the revenue values awaiting Finance, and its reason for the one rejected.
_SIGN_OFF_TEXTS = (
    "含跨期订单 / Includes orders across months",
    "按发票更新 / Updated from the invoices",
    "合同尚未签回，不能确认。/ The contract is not signed back yet: cannot confirm.",
)


def _demo_sign_off(org, users, departments, open_months) -> None:
    """Revenue of Sales and East China Sales counts once Finance's manager confirms it
    (values entered before keep counting): in the open months, five values await the
    confirmation (the browser journeys confirm two in each language) and one was rejected
    with its reason."""
    if len(open_months) < 3:
        return
    revenue = {
        code: m_selectors.kpi_list(org=org, department=departments[code])
        .filter(indicator__code="sales_revenue")
        .first()
        for code in ("sales", "sales-east")
    }
    if None in revenue.values():
        return
    for kpi in revenue.values():
        kpi_update(kpi=kpi, by=users["hr"], confirm_department=departments["finance"])
    stored = {
        (a.kpi_id, a.period_id): a
        for a in Actual.objects.for_org(org).filter(kpi__in=list(revenue.values()))
    }
    third, second, latest = open_months
    plan = (  # (department, month, who enters, change of the value)
        ("sales", latest, "manager", Decimal("1.04")),
        ("sales-east", latest, "hr", Decimal("0.97")),
        ("sales-east", second, "hr", Decimal("1.02")),
        ("sales", third, "manager", Decimal("1.01")),
        ("sales-east", third, "hr", Decimal("1.03")),
        ("sales", second, "manager", Decimal("1.25")),  # rejected below
    )
    for code, month, by, change in plan:
        kpi = revenue[code]
        before = stored.get((kpi.pk, month.pk))
        base = before.value if before is not None else kpi.target or Decimal(1000000)
        actuals_save(
            org=org,
            by=users[by],
            source="web",
            entries=[
                ActualInput(
                    kpi.pk,
                    month.pk,
                    (base * change).quantize(Decimal("0.01")),
                    note=_SIGN_OFF_TEXTS[0] if change > Decimal("1.2") else _SIGN_OFF_TEXTS[1],
                    version=before.version if before is not None else None,
                )
            ],
            can_enter=lambda d: True,
        )
    rejected = Actual.objects.for_org(org).get(kpi=revenue["sales"], period=second)
    finance = Membership.objects.for_org(org).get(user=users["zhou.fang"])
    finance.managed_ids = managed_department_ids(org=org, user=users["zhou.fang"])
    actuals_reject(
        org=org,
        by=users["zhou.fang"],
        membership=finance,
        items=[(rejected.pk, rejected.version)],
        reason=_SIGN_OFF_TEXTS[2],
    )


def _demo_goals(org, users, kpis, today) -> None:
    """Two company goals for this fiscal year, each fed by both sides."""

    year = (
        m_selectors.period_list(org=org, kind=PeriodKind.YEAR)
        .filter(start__lte=today, end__gte=today)
        .first()
    )
    if year is None:
        return
    by_code = {(k.department.code, k.indicator.code): k for k in kpis}
    goals = (
        (
            "客户满意、增长可持续 / Satisfied customers, sustainable growth",
            [
                ("sales", "sales_revenue", 3),
                ("service", "customer_satisfaction", 2),
                ("hr", "employee_satisfaction", 1),
                ("admin", "internal_service_satisfaction", 1),
            ],
        ),
        (
            "交付准时、流程高效 / On-time delivery, efficient processes",
            [
                ("production", "on_time_delivery", 3),
                ("rnd", "rnd_milestones_on_time", 2),
                ("finance", "budget_execution", 1),
                ("admin", "meeting_resolution_rate", 1),
            ],
        ),
    )
    for title, links in goals:
        chosen = [(by_code[(d, c)], w) for d, c, w in links if (d, c) in by_code]
        if chosen:
            goal_save(org=org, by=users["executive"], title=title, period=year, links=chosen)


_NOTES = (
    "",
    "",
    "",
    "",
    "含一次性项目影响 / One-off project effect",
    "人员调整中 / Team changes under way",
    "供应商延迟 / Supplier delay",
)


def _note(rng) -> str:
    """Every demo value carries a short note so red values are explained."""
    return rng.choice(_NOTES) or "月度数据 / Monthly figure"


# How well each management department supports the business side (average rating).
_SUPPORT = {"hr": 4.1, "finance": 3.5, "admin": 3.0}
# What business departments say about each management department: (praise, criticism),
# picked by the rating given; about a third of the ratings come without a comment.
_FEEDBACK_COMMENTS = {
    "hr": (
        (
            "招聘支持到位，岗位两周内到人。/ Good hiring support: roles filled within two weeks.",
            "新员工培训安排得很好。/ Onboarding of new staff was well organized.",
            "绩效面谈指导很有帮助。/ The coaching for appraisal talks helped.",
        ),
        (
            "招聘进度偏慢，生产线缺人。/ Hiring is slow; the line is short of staff.",
            "培训课程与一线需求脱节。/ Training does not match what the front line needs.",
        ),
    ),
    "finance": (
        (
            "预算调整响应及时。/ Budget changes were handled quickly.",
            "月度经营报表清晰易懂。/ The monthly figures are clear and easy to read.",
        ),
        (
            "报销周期偏长，差旅费等了三周。/ Reimbursements take long: travel costs waited "
            "three weeks.",
            "付款审批环节太多。/ Too many steps to approve a payment.",
        ),
    ),
    "admin": (
        (
            "会议室和办公用品保障及时。/ Meeting rooms and office supplies are always ready.",
            "班车调整后通勤方便多了。/ Commuting is easier since the shuttle bus changed.",
        ),
        (
            "工位维修响应慢。/ Repairs to desks and equipment are slow.",
            "出差订票经常要催。/ Travel bookings need chasing.",
        ),
    ),
}


def _feedback_comment(department, rating: int, rng) -> str:
    """A comment that fits the department rated and the rating (often none)."""
    if rng.random() < 0.35:
        return ""
    praise, criticism = _FEEDBACK_COMMENTS.get(department.code, ((), ()))
    choices = praise if rating >= 4 else criticism if rating <= 2 else praise + criticism
    return rng.choice(choices) if choices else ""


# How the criteria differ from a department's average support (responsiveness, quality,
# cooperation by position): finance is careful but slow, admin quick but sloppy.
_CRITERION_BIAS = {"finance": (-0.6, 0.5, 0.1), "admin": (0.4, -0.5, 0.1)}
# How well each business department cooperates, as management departments see it.
_COOPERATION = {"sales": 3.8, "sales-east": 3.3, "production": 4.2, "rnd": 3.1, "service": 4.4}
_COOPERATION_COMMENTS = (
    "数据提交及时，沟通顺畅。/ Figures come on time; easy to work with.",
    "预算和招聘需求经常临时才提。/ Budget and hiring requests often come at the last minute.",
)


def _demo_rating(mean: float, rng) -> int:
    return int(min(5, max(1, round(rng.gauss(mean, 0.8)))))


def _demo_feedback(org, users, departments, months, rng) -> None:
    """A year of feedback both ways: every business department rates every management
    department's support on each criterion each month (the running month: half of them
    so far; support slowly improves), and management departments rate most business
    departments' cooperation. Saved by each department's manager (rated_by)."""
    criteria = feedback_criteria(org=org)
    raters = [d for d in departments.values() if d.kind == "business"]
    rated = [d for d in departments.values() if d.kind == "management"]

    def by(department):
        return users.get(DEMO_MANAGERS.get(department.code, ""))

    for index, month in enumerate(months):
        current = index == len(months) - 1
        for rater in raters:
            for department in rated:
                if current and rng.random() < 0.5:
                    continue
                mean = _SUPPORT.get(department.code, 3.5) + (index - 6) * 0.05
                bias = _CRITERION_BIAS.get(department.code, (0, 0, 0))
                ratings = [
                    Rated(
                        criterion=c.pk,
                        rating=_demo_rating(mean + bias[i % 3], rng),
                    )
                    for i, c in enumerate(criteria_asked(criteria, FeedbackDirection.SUPPORT))
                ]
                average = round(sum(r.rating for r in ratings) / len(ratings))
                feedback_save(
                    org=org,
                    period=month,
                    rater_department=rater,
                    rated_department=department,
                    ratings=ratings,
                    comment=_feedback_comment(department, average, rng),
                    by=by(rater),
                )
        for rater in rated:
            for department in raters:
                if rng.random() < (0.7 if current else 0.3):
                    continue
                mean = _COOPERATION.get(department.code, 3.5)
                ratings = [
                    Rated(criterion=c.pk, rating=_demo_rating(mean, rng))
                    for c in criteria_asked(criteria, FeedbackDirection.COOPERATION)
                ]
                comment = ""
                if rng.random() < 0.3:
                    comment = _COOPERATION_COMMENTS[0 if mean >= 3.5 else 1]
                feedback_save(
                    org=org,
                    period=month,
                    rater_department=rater,
                    rated_department=department,
                    ratings=ratings,
                    comment=comment,
                    by=by(rater),
                )


_REVIEW_TEXTS = (
    "销售额略低于目标，新客户增长良好。/ Revenue slightly under target; new customers grew well.",
    "加强重点客户回访，月底前完成渠道评估。/ Visit key accounts; finish the channel review by "
    "month end.",
    "很好，继续保持 / Well done, keep it up",
    "请补充回款计划 / Please add a plan for collections",
    "华东区回款改善。/ Collections in East China improved.",
)


def _demo_reviews(org, users, departments, months) -> None:
    """Reviews of Sales in every state over the last months, and a draft of East China."""

    def member(username):
        membership = Membership.objects.for_org(org).get(user=users[username])
        membership.managed_ids = managed_department_ids(org=org, user=users[username])
        return membership

    manager, hr, executive = member("manager"), member("hr"), member("executive")
    if len(months) < 7:
        return
    sales, east = departments["sales"], departments["sales-east"]
    # Each month's review goes through the default steps (manager → HR check → executive
    # decision) as far as the plan says: waiting for HR, approved, returned by HR, waiting
    # for the executive (two: the browser journeys approve one in each language).
    plan = (
        (months[-7], (), ""),
        (months[-6], ("forward", "approve"), ""),
        (months[-5], ("forward", "approve"), _REVIEW_TEXTS[2]),
        (months[-4], ("return",), _REVIEW_TEXTS[3]),
        (months[-3], ("forward",), ""),
        (months[-2], ("forward",), ""),
    )
    holder = {"forward": hr, "return": hr, "approve": executive}
    for month, moves, comment in plan:
        review = review_save(
            org=org,
            membership=manager,
            department=sales,
            period=month,
            self_assessment=_REVIEW_TEXTS[0],
            improvement_plan=_REVIEW_TEXTS[1],
        )
        review_transition(org=org, membership=manager, review=review, action="submit")
        for move in moves:
            review_transition(
                org=org,
                membership=holder[move],
                review=review,
                action=move,
                comment=comment if move != "forward" else "",
            )
    review_save(
        org=org,
        membership=manager,
        department=east,
        period=months[-2],
        self_assessment=_REVIEW_TEXTS[4],
        improvement_plan="",
    )


# Why the demo's executive moves a grade: up (work the KPIs do not measure) or down (a
# score lifted by one-off effects, or a group over its guideline).
_MOVE_UP = (
    "承担了指标之外的重点项目，上调一档。/ Carried a key project the KPIs do not measure: "
    "one grade up."
)
_MOVE_DOWN = (
    "得分含一次性项目影响，按分布指引下调一档。/ The score includes a one-off project effect: "
    "one grade down, per the guideline."
)
_OVERRIDE = (
    "本季度业绩普遍突出，经管理层讨论后按实际结果发布。/ An exceptional quarter across the "
    "board: published as scored after the management meeting."
)


def _demo_briefing(org, users) -> None:
    """The briefing book of the latest month that has ended, as the executive would ask for
    it before the month's meeting. Its scorecards (and those of the months before, for the
    trends) are computed first: the recalculation jobs the actuals queued run only once the
    demo's transaction commits. Runs once."""

    if Briefing.objects.for_org(org).exists():
        return
    today = timezone.localdate()
    month = (
        m_selectors.period_list(org=org, kind=PeriodKind.MONTH)
        .filter(end__lt=today)
        .order_by("-end")
        .first()
    )
    if month is None:
        return
    rollup.recalculate(org=org, period_ids=[p.pk for p in m_selectors.period_list(org=org)])
    briefing = Briefing.objects.create(
        organization=org, period=month, language=org.language, requested_by=users["executive"]
    )
    briefing_run(org=org, briefing_id=briefing.pk)


def _demo_calibration(org, users) -> None:
    """The latest quarter that has ended, calibrated and published (SPEC §9): HR opens it,
    the executive makes one or two moves with a reason and publishes. The moves bring any
    group over its guideline back within it; when none is needed, one department goes up a
    grade where its group has room. If the moves cannot meet the guideline, the
    organization's policy allows an override and the grades are published with a reason.
    Runs once: not again once the organization has any calibration (so it also completes a
    demo loaded before grades existed)."""

    if Calibration.objects.for_org(org).exists():
        return
    today = timezone.localdate()
    quarter = (
        m_selectors.period_list(org=org, kind=PeriodKind.QUARTER)
        .filter(end__lt=today)
        .order_by("-end")
        .first()
    )
    if quarter is None:
        return
    # The quarter's scorecards now: the jobs the actuals queued run only after the demo's
    # transaction commits, and grades are computed from scorecards.
    rollup.recalculate(org=org, period_ids=[quarter.pk])
    board = grade_selectors.calibration_board(org=org, period=quarter)
    if not any(r.computed for r in board.rows):
        return

    def member(username):
        return Membership.objects.for_org(org).get(user=users[username])

    _demo_publish(org, quarter, board, hr=member("hr"), executive=member("executive"))


def _demo_publish(org, quarter, board, *, hr, executive, moves: int = 2) -> Calibration:
    """Open the quarter's calibration (HR), make the moves of `_demo_moves` (the
    executive) and publish (the executive), allowing an override with a reason when the
    moves leave a group outside the guideline."""
    calibration = grade_services.calibration_open(org=org, membership=hr, period=quarter)
    for department, grade, reason in _demo_moves(board, limit=moves):
        grade_services.calibration_move(
            org=org,
            membership=executive,
            calibration=calibration,
            department=department,
            grade=grade,
            reason=reason,
        )
    board = grade_selectors.calibration_board(org=org, period=quarter, calibration=calibration)
    override = ""
    if not board.met:
        policy = grade_selectors.policy_get(org=org)
        grade_services.grading_save(
            org=org,
            membership=hr,
            bands=grade_selectors.scale_get(org=org),
            grade_months=policy.grade_months,
            grade_quarters=policy.grade_quarters,
            grade_years=policy.grade_years,
            grouping=policy.grouping,
            publish_rule=PublishRule.OVERRIDE,
        )
        override = _OVERRIDE
    return grade_services.calibration_publish(
        org=org, membership=executive, calibration=calibration, override_reason=override
    )


def _demo_moves(board, limit: int = 2) -> list[tuple[Department, str, str]]:
    """At most `limit` moves (department, grade, reason) for the board: first, for each
    group over a guideline, its lowest-scored department at a capped grade goes one grade
    down (or, short of a required bottom grade, the lowest-scored one above it); without
    such a breach, the best-scored department that can go one grade up with its group
    still within the guideline does."""

    labels = [b.label for b in board.bands]
    rows = [r for r in board.rows if r.final is not None]
    finals = {r.department.pk: r.final for r in rows}
    groups = {r.department.pk: r.group for r in rows}
    order = [c.group for c in board.checks]

    def checks():
        return grade_rules.check_groups(finals, groups, board.bands, order)

    def lowest(group, grades):
        candidates = [r for r in rows if r.group == group and finals[r.department.pk] in grades]
        return min(candidates, key=lambda r: (r.score, r.department.code), default=None)

    moves: list[tuple[Department, str, str]] = []
    while len(moves) < limit:
        breach = next(((c.group, b) for c in checks() for b in c.breaches), None)
        if breach is None:
            break
        group, broken = breach
        index = labels.index(broken.label)
        if broken.kind == grade_rules.MAX:
            row, to = lowest(group, {broken.label}), labels[min(index + 1, len(labels) - 1)]
        else:
            row, to = lowest(group, set(labels[:index])), broken.label
        if row is None or to == finals[row.department.pk]:
            break
        finals[row.department.pk] = to
        moves.append((row.department, to, _MOVE_DOWN))
    if moves:
        return moves
    for row in sorted(rows, key=lambda r: (-(r.score or 0), r.department.code)):
        index = labels.index(row.final)
        if index == 0:
            continue
        finals[row.department.pk] = labels[index - 1]
        if all(c.met for c in checks()):
            return [(row.department, labels[index - 1], _MOVE_UP)]
        finals[row.department.pk] = row.final
    return []


# Actions on red and amber lines (issue 19): title, status, due in days from today, and
# how many days ago it was planned (an overdue one was planned weeks ago).
_ACTIONS = (
    ("联系前十大客户 / Call the ten largest customers", "in_progress", 10, 5),
    ("重新谈判供应商交期 / Renegotiate supplier lead times", "open", 21, 2),
    ("每周复盘未结问题 / Weekly review of open issues", "done", 3, 25),
    ("暂停新渠道试点 / Pause the new channel pilot", "dropped", 30, 20),
    ("补招两名工程师 / Hire two engineers", "open", -6, 30),  # overdue
)
_GOAL_ACTION = "季度客户回访计划 / Quarterly customer visit plan"


def _demo_actions(org, users) -> None:
    """Actions on the red and amber lines of the month the dashboard opens on, one in each
    state (open, in progress, done, dropped) and one overdue, owned by the departments'
    managers and planned by HR; one on a goal behind plan. One red line is left without an
    action, so the follow-up has something to show. Runs once (after the briefing's
    recalculation: an action needs a computed red or amber line)."""

    if Action.objects.for_org(org).exists():
        return
    month = latest_month_with_data(org=org, kind=PeriodKind.MONTH)
    if month is None:
        return
    lines = list(
        ScorecardLine.objects.for_org(org)
        .filter(period=month, status__in=ACTION_LINE_STATUSES, kpi__is_active=True)
        .select_related("kpi__department", "kpi__indicator")
        .order_by("-status", "department__code", "kpi__indicator__code")  # red first
    )
    red = [line for line in lines if line.status == "red"]
    if len(red) > 1:
        lines.remove(red[-1])  # a red KPI nobody has taken up yet
    hr = Membership.objects.for_org(org).get(user=users["hr"])
    today = timezone.localdate()
    for line, (title, status, due_in, planned_ago) in zip(lines, _ACTIONS, strict=False):
        owner = users[DEMO_MANAGERS.get(line.kpi.department.code, "hr")]
        action = action_create(
            org=org,
            membership=hr,
            title=title,
            owner=owner,
            due_date=today + dt.timedelta(days=due_in),
            kpi=line.kpi,
            period=month,
            today=today - dt.timedelta(days=planned_ago),  # as it was planned then
        )
        if status != "open":
            action_update(org=org, membership=hr, action=action, status=status)
    goal = next(
        (g for g in Goal.objects.for_org(org).select_related("period") if goal_behind_plan(g)), None
    )
    if goal is not None:
        action_create(
            org=org,
            membership=hr,
            title=_GOAL_ACTION,
            owner=users["executive"],
            due_date=today + dt.timedelta(days=45),
            goal=goal,
        )


# Every bilingual text the demo writes: data, not interface (the browser journeys leave them
# out of their "no English left in a Chinese page" check).
# Discussion threads (issue 19): (subject, author, mention, text), a reply answering the post
# before it. The mention is put before the text: pages show it as the member's name.
_THREAD_TEXTS = (
    "本月回款延迟，已在跟进重点客户。/ Collections slipped this month; we are following up "
    "key accounts.",
    "请在周五前给出回款计划。/ Please send the collections plan by Friday.",
    "好的，周四前发出。/ Will do, by Thursday.",
    "质量合格率连续两个月下滑，请说明原因。/ The pass rate has slipped two months running: "
    "what happened?",
    "新产线调试中，下月恢复。/ The new line is being tuned; it recovers next month.",
    "招聘进度太慢，两个岗位空缺两个月了。/ Hiring is too slow: two posts have been open for "
    "two months.",
    "已增加两家招聘渠道，下月补齐。/ We added two hiring channels; both posts are filled next "
    "month.",
    "各部门请每月同步进展。/ Every department: please share progress monthly.",
)


def _demo_threads(org, users, departments, months) -> None:
    """A few bilingual threads with replies and mentions: on Sales' revenue last month, on
    Production's scorecard, on a feedback entry of Sales on HR (HR answers) and on a goal."""
    if len(months) < 2:
        return
    month = months[-2]  # the last month that has ended

    def member(username):
        return (
            Membership.objects.for_org(org).select_related("organization").get(user=users[username])
        )

    revenue = (
        m_selectors.kpi_list(org=org, department=departments["sales"])
        .filter(indicator__code="sales_revenue")
        .first()
    )
    feedback = review_selectors.feedback_list(
        org=org,
        period_id=month.pk,
        rater_ids=[departments["sales"].pk],
        rated_ids=[departments["hr"].pk],
    ).first()
    goal = goal_selectors.goal_list(org=org).first()
    t = _THREAD_TEXTS
    threads = [
        (
            subject_of("kpi", org, revenue, month) if revenue else None,
            [("manager", "", t[0]), ("executive", "@manager ", t[1]), ("manager", "", t[2])],
        ),
        (
            subject_of("scorecard", org, departments["production"], month),
            [("executive", "@chen.jing ", t[3]), ("chen.jing", "", t[4])],
        ),
        (
            subject_of("feedback", org, feedback) if feedback else None,
            [("manager", "", t[5]), ("hr", "", t[6])],
        ),
        (subject_of("goal", org, goal) if goal else None, [("executive", "", t[7])]),
    ]
    for subject, posts in threads:
        if subject is None:
            continue
        first = None
        for username, mention, text in posts:
            post = post_add(
                org=org,
                membership=member(username),
                subject=subject,
                text=mention + text,
                parent_id=first.pk if first else None,
            )
            first = first or post


DEMO_TEXTS = tuple(
    t
    for t in (
        *_NOTES,
        "月度数据 / Monthly figure",
        # the comments themselves, not the keys of the dict ("hr", "finance", …)
        *(c for sides in _FEEDBACK_COMMENTS.values() for side in sides for c in side),
        *_COOPERATION_COMMENTS,
        *_REVIEW_TEXTS,
        _MOVE_UP,
        _MOVE_DOWN,
        _OVERRIDE,
        *_THREAD_TEXTS,
        *(title for title, *_rest in _ACTIONS),
        _GOAL_ACTION,
        *_SIGN_OFF_TEXTS,
    )
    if t
)


# A seasonal business (issue 20): the share of the year's sales each month is expected to
# bring, low after the Spring Festival, high around 618 and 双十一 and at year end (sums to 12).
_SEASON = [
    "0.70", "0.60", "0.85", "0.90", "0.95", "1.15", "0.95", "0.90", "1.00", "1.05", "1.50", "1.45",
]  # fmt: skip


def _demo_period_targets(org, users) -> None:
    """Targets by period: the Sales department's revenue gets its own target in each open
    month of the current fiscal year, in the season's shape (the year's target unchanged),
    so its targets page, its scorecard and the entry page show a seasonal target. Runs once."""
    if KpiPeriodTarget.objects.for_org(org).exists():
        return
    kpi = (
        m_selectors.kpi_list(org=org)
        .filter(department__code="sales", indicator__code="sales_revenue", is_active=True)
        .exclude(target=None)
        .first()
    )
    today = timezone.localdate()
    all_months = list(m_selectors.period_list(org=org, kind=PeriodKind.MONTH))
    current = [p for p in all_months if p.start <= today]
    if kpi is None or not current:
        return
    fiscal_year = current[-1].fiscal_year
    months = [p for p in all_months if p.fiscal_year == fiscal_year]
    per_month = {"month": 1, "quarter": 3, "year": 12}[kpi.target_period]
    monthly = kpi.target / Decimal(per_month)
    targets = {
        p.pk: scoring.PeriodTarget(
            target=(monthly * Decimal(_SEASON[p.start.month - 1])).quantize(Decimal("0.01"))
        )
        for p in months
        if p.status == PeriodStatus.OPEN
    }
    if targets:
        kpi_period_targets_set(
            org=org, kpi=kpi, by=users["hr"], fiscal_year=fiscal_year, targets=targets
        )
