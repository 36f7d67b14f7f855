"""The demo organization loaded by `make run` (idempotent: a second run changes nothing)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from departments import selectors as dept_selectors
from departments import services as dept_services
from departments.models import Department, Membership, Organization, Role

DEMO_SLUG = "demo"
DEMO_PASSWORD = "perfhub-demo"  # noqa: S105 - published demo login
DEMO_USERS = (
    ("admin", Role.ADMIN, "admin@demo.perfhub.local"),
    ("hr", Role.HR, "hr@demo.perfhub.local"),
    ("manager", Role.MANAGER, "manager@demo.perfhub.local"),
    ("executive", Role.EXECUTIVE, "executive@demo.perfhub.local"),
)
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
    for username, _role, email in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user

    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if org is None:
        org = dept_services.organization_create(
            name="示例科技有限公司", slug=DEMO_SLUG, by=users["admin"], language="zh-hans"
        )
    existing_roles = dict(Membership.objects.for_org(org).values_list("user_id", "role"))
    for username, role, _email in DEMO_USERS:
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
            managers=[users["manager"]] if code == "sales" else [],
        )
    _ensure_demo_data(org, users, codes)
    return org


def _ensure_demo_data(org: Organization, users: dict, departments: dict[str, Department]) -> None:
    """KPIs, periods, actuals, reviews and feedback: added by the metrics and reviews issues."""
