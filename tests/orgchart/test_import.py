"""The org-chart import (orgchart.services): preview, bad rows, confirm all or nothing,
re-upload changes nothing, missing people deactivated, the platforms' layouts, CSV
encodings, and a 2,000-person file in a bounded number of queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from departments.models import (
    Department,
    DepartmentClosure,
    DepartmentManager,
    MemberIdentity,
    Membership,
    Role,
)
from departments.selectors import membership_for
from orgchart import services
from orgchart.emails import password_links_send
from orgchart.models import OrgChartUpload
from perfhub.names import display_name, split_full_name

pytestmark = pytest.mark.django_db
User = get_user_model()

DEPARTMENTS = [
    ["部门代码", "部门名称", "英文名称", "上级部门代码", "类型", "职能"],
    ["hq", "总部", "Headquarters", "", "管理", "行政"],
    ["sales", "销售部", "Sales", "hq", "业务", "销售"],
    ["east", "华东区", "East", "sales", "business", "sales"],
]
PEOPLE = [
    ["姓名", "用户名", "邮箱", "手机", "平台", "平台用户ID", "部门", "职位", "角色", "负责部门"],
    [
        "王芳",
        "wangfang",
        "wang.fang@example.com",
        "13800138000",
        "钉钉",
        "dt-1",
        "sales",
        "销售总监",
        "部门经理",
        "sales",
    ],
    ["欧阳娜娜", "", "ouyang@example.com", "", "", "", "east", "", "", ""],
    [
        "Anna Schmidt",
        "anna",
        "anna@example.com",
        "+49 30 1234567",
        "feishu",
        "ou_1",
        "hq",
        "CFO",
        "executive",
        "",
    ],
]


def xlsx(*sheets: tuple[str, list[list]]) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode(encoding))


def membership(org, user):
    return Membership.objects.for_org(org).get(user=user)


def upload(org, user, file, name="org.xlsx", platform=""):
    return services.upload_create(
        org=org,
        by=user,
        by_membership=membership(org, user),
        file=file,
        file_name=name,
        platform=platform,
    )


def confirm(org, user, up, **kwargs):
    return services.upload_confirm(
        upload=up, by=user, by_membership=membership(org, user), **kwargs
    )


def template_file():
    return xlsx(("部门", DEPARTMENTS), ("人员", PEOPLE))


def test_preview_lists_what_will_be_created_and_writes_nothing(org, hr):
    up, plan = upload(org, hr, template_file())
    assert not plan.errors
    assert [d["code"] for d in plan.departments_new] == ["hq", "sales", "east"]
    assert [(p["name"], p["username"], p["role"]) for p in plan.people_new] == [
        ("王芳", "wangfang", Role.MANAGER),
        ("欧阳娜娜", "ouyang", Role.MANAGER),
        ("Anna Schmidt", "anna", Role.EXECUTIVE),
    ]
    assert plan.missing == []  # the importer is never listed
    assert not Department.objects.for_org(org).exists()
    assert not User.objects.filter(username__in=["wangfang", "anna"]).exists()
    assert OrgChartUpload.objects.for_org(org).get().status == "preview"


def test_confirm_creates_departments_people_managers_and_identities(
    org, hr, mailoutbox, django_capture_on_commit_callbacks
):
    up, _plan = upload(org, hr, template_file())
    with django_capture_on_commit_callbacks() as callbacks:
        up, _plan = confirm(org, hr, up, send_links=True)
    assert callbacks  # the job that e-mails the links is published after commit
    assert up.status == "applied"
    sales = Department.objects.for_org(org).get(code="sales")
    east = Department.objects.for_org(org).get(code="east")
    assert east.parent == sales and sales.parent.code == "hq"
    assert sales.kind == "business" and sales.function == "sales"
    assert sales.parent.kind == "management" and sales.parent.function == "admin"
    # the closure table holds every (ancestor, descendant) pair
    pairs = set(
        DepartmentClosure.objects.for_org(org).values_list(
            "ancestor__code", "descendant__code", "depth"
        )
    )
    assert ("hq", "east", 2) in pairs and ("east", "east", 0) in pairs and len(pairs) == 6
    fang = User.objects.get(username="wangfang")
    assert (fang.last_name, fang.first_name) == ("王", "芳") and display_name(fang) == "王芳"
    assert not fang.has_usable_password()
    ouyang = User.objects.get(username="ouyang")
    assert (ouyang.last_name, ouyang.first_name) == ("欧阳", "娜娜")
    anna = User.objects.get(username="anna")
    assert display_name(anna) == "Anna Schmidt"
    m = membership(org, fang)
    assert (m.role, m.department, m.title, m.mobile) == (
        Role.MANAGER,
        sales,
        "销售总监",
        "13800138000",
    )
    assert membership(org, anna).role == Role.EXECUTIVE
    assert DepartmentManager.objects.for_org(org).filter(department=sales, user=fang).exists()
    assert set(
        MemberIdentity.objects.for_org(org).values_list("provider", "uid", "user__username")
    ) == {
        ("dingtalk", "dt-1", "wangfang"),
        ("feishu", "ou_1", "anna"),
    }
    # what the job does
    assert password_links_send(org=org, user_ids=up.result["created_user_ids"]) == 3
    assert len(mailoutbox) == 3
    assert "/accounts/password/reset/" in mailoutbox[0].body
    assert "wangfang" in mailoutbox[0].body


def test_second_upload_of_the_same_file_changes_nothing(org, hr):
    up, _ = upload(org, hr, template_file())
    confirm(org, hr, up)
    counts = (
        Department.objects.for_org(org).count(),
        Membership.objects.for_org(org).count(),
        DepartmentManager.objects.for_org(org).count(),
        MemberIdentity.objects.for_org(org).count(),
        DepartmentClosure.objects.for_org(org).count(),
    )
    again, plan = upload(org, hr, template_file())
    assert not plan.errors and not plan.has_changes
    assert plan.unchanged == 6  # 3 departments, 3 people
    confirm(org, hr, again)
    assert counts == (
        Department.objects.for_org(org).count(),
        Membership.objects.for_org(org).count(),
        DepartmentManager.objects.for_org(org).count(),
        MemberIdentity.objects.for_org(org).count(),
        DepartmentClosure.objects.for_org(org).count(),
    )


def test_preview_shows_changes_of_known_people_and_departments(org, hr):
    up, _ = upload(org, hr, template_file())
    confirm(org, hr, up)
    departments = [row[:] for row in DEPARTMENTS]
    departments[3][3] = "hq"  # east moves under hq
    people = [row[:] for row in PEOPLE]
    people[1][8] = "hr"  # 王芳 becomes HR
    _up, plan = upload(org, hr, xlsx(("部门", departments), ("人员", people)))
    assert [(d["code"], [c["field"] for c in d["changes"]]) for d in plan.departments_changed] == [
        ("east", ["parent"])
    ]
    assert [(p["username"], p["changes"]) for p in plan.people_changed] == [
        ("wangfang", [{"field": "role", "old": "manager", "new": "hr"}])
    ]


def test_people_missing_from_the_file_are_listed_and_deactivated_in_one_action(
    org, hr, manager, executive
):
    up, plan = upload(org, hr, template_file())
    assert {m["username"] for m in plan.missing} == {manager.username, executive.username}
    with pytest.raises(Exception, match="Import the file first"):
        services.upload_deactivate_missing(upload=up, by=hr, by_membership=membership(org, hr))
    up, _ = confirm(org, hr, up)
    count = services.upload_deactivate_missing(upload=up, by=hr, by_membership=membership(org, hr))
    assert count == 2
    m = membership(org, manager)
    assert not m.is_active
    # an inactive member cannot open the organization, nor manage a department
    assert membership_for(user=manager, slug=org.slug) is None
    assert not DepartmentManager.objects.for_org(org).filter(user=manager).exists()
    # listed again in a later file: reactivated
    people = [*PEOPLE, ["Manny Manager", manager.username, "", "", "", "", "", "", "", ""]]
    _up, plan = upload(org, hr, xlsx(("人员", people)))
    changed = {p["username"]: p["changes"] for p in plan.people_changed}
    assert {"field": "is_active", "old": False, "new": True} in changed[manager.username]


def test_hr_cannot_deactivate_an_admin(org, hr, admin):
    up, _ = upload(org, hr, template_file())
    up, _ = confirm(org, hr, up)
    with pytest.raises(Exception, match="Only an administrator"):
        services.upload_deactivate_missing(upload=up, by=hr, by_membership=membership(org, hr))
    assert membership(org, admin).is_active


# --- bad rows: every reason, all listed, nothing written -------------------------------

BAD = [
    # (sheet, row to add, column, reason)
    ("部门", ["", "无代码", "", "", "", ""], "A (部门代码)", "department code is empty"),
    ("部门", ["bad code", "坏", "", "", "", ""], "A (部门代码)", "is not a code"),
    ("部门", ["sales", "又一个", "", "", "", ""], "A (部门代码)", "in the file twice"),
    ("部门", ["newdept", "", "", "", "", ""], "B (部门名称)", "needs a name"),
    ("部门", ["x1", "X", "", "nowhere", "", ""], "D (上级部门代码)", "No department has the code"),
    ("部门", ["x2", "X", "", "", "sideways", ""], "E (类型)", "is not a kind"),
    ("部门", ["x3", "X", "", "", "", "juggling"], "F (职能)", "is not a function"),
    ("部门", ["x4", "X", "", "x4", "", ""], "D (上级部门代码)", "cannot be its own parent"),
    ("人员", ["", "nobody", "", "", "", "", "", "", "", ""], "A (姓名)", "name is empty"),
    ("人员", ["张三", "", "", "", "", "", "", "", "", ""], "A (姓名)", "Give a username"),
    (
        "人员",
        ["李四", "lisi", "not-an-email", "", "", "", "", "", "", ""],
        "C (邮箱)",
        "not an e-mail",
    ),
    ("人员", ["李五", "liwu", "", "call me", "", "", "", "", "", ""], "D (手机)", "not a mobile"),
    (
        "人员",
        ["李六", "liliu", "", "", "myspace", "x", "", "", "", ""],
        "E (平台)",
        "not a platform",
    ),
    (
        "人员",
        ["李七", "liqi", "", "", "", "u-7", "", "", "", ""],
        "F (平台用户ID)",
        "Which platform",
    ),
    (
        "人员",
        ["李八", "liba", "", "", "", "", "nowhere/none", "", "boss", ""],
        "I (角色)",
        "not a role",
    ),
    ("人员", ["李九", "li jiu", "", "", "", "", "", "", "", ""], "B (用户名)", "not a username"),
    ("人员", ["王芳二", "wangfang", "", "", "", "", "", "", "", ""], "B (用户名)", "Also in row 2"),
    (
        "人员",
        ["李十", "lishi", "", "", "", "", "", "", "admin", ""],
        "I (角色)",
        "Only an administrator",
    ),
    ("人员", ["路人", "taken", "", "", "", "", "", "", "", ""], "B (用户名)", "is taken"),
]


def test_every_bad_row_is_listed_with_sheet_row_column_and_reason(org, hr, outsider):
    User.objects.create_user("taken")  # an account of no member of this organization
    departments = DEPARTMENTS + [row for sheet, row, *_ in BAD if sheet == "部门"]
    people = PEOPLE + [row for sheet, row, *_ in BAD if sheet == "人员"]
    up, plan = upload(org, hr, xlsx(("部门", departments), ("人员", people)))
    found = [(e["sheet"], e["row"], e["column"], e["message"]) for e in plan.errors]
    rows = {"部门": len(DEPARTMENTS), "人员": len(PEOPLE)}
    for sheet, _row, column, reason in BAD:
        rows[sheet] += 1
        assert any(
            s == sheet and r == rows[sheet] and c == column and reason in m for s, r, c, m in found
        ), (sheet, rows[sheet], column, reason, found)
    with pytest.raises(services.ImportRefused) as refused:
        confirm(org, hr, up)
    assert len(refused.value.errors) == len(plan.errors)
    assert not Department.objects.for_org(org).exists()
    assert Membership.objects.for_org(org).count() == 1


def test_formula_cells_are_bad_rows(org, hr):
    people = [row[:] for row in PEOPLE]
    people[1][3] = "=1+1"
    _up, plan = upload(org, hr, xlsx(("人员", people)))
    assert [(e["row"], e["column"]) for e in plan.errors] == [(2, "D (手机)")]
    assert "formula" in plan.errors[0]["message"]


def test_a_department_cycle_is_refused(org, hr):
    departments = [DEPARTMENTS[0], ["a", "A", "", "b", "", ""], ["b", "B", "", "a", "", ""]]
    _up, plan = upload(org, hr, xlsx(("部门", departments)))
    assert {e["row"] for e in plan.errors} == {2, 3}
    assert all("cycle" in e["message"] for e in plan.errors)


def test_unreadable_file_is_refused_as_a_whole(org, hr):
    from metrics.spreadsheets import SpreadsheetRefused

    with pytest.raises(SpreadsheetRefused, match="No sheet of departments or people"):
        upload(org, hr, csv_bytes([["foo", "bar"], ["1", "2"]]), name="x.csv")
    with pytest.raises(SpreadsheetRefused, match="Upload an Excel workbook"):
        upload(org, hr, io.BytesIO(b"x"), name="x.pdf")
    assert not OrgChartUpload.objects.for_org(org).exists()


def test_confirm_is_refused_when_the_organization_changed_since_the_preview(org, hr):
    up, _ = upload(org, hr, template_file())
    User.objects.create_user("wangfang")  # someone takes the username meanwhile
    with pytest.raises(services.ImportRefused):
        confirm(org, hr, up)
    up2, _ = upload(org, hr, xlsx(("部门", DEPARTMENTS)))
    Department.objects.create(
        organization=org, code="hq", name="总部", kind="business", function="other"
    )
    with pytest.raises(services.ImportChanged):
        confirm(org, hr, up2)
    new = services.upload_plan(upload=up2, by_membership=membership(org, hr))
    confirm(org, hr, up2, digest=new.digest)  # confirmed after reading the new preview
    assert Department.objects.for_org(org).count() == 3


# --- the platforms' layouts and CSV encodings ------------------------------------------

LAYOUTS = {
    # DingTalk contacts export: 员工UserID names the platform; departments as paths.
    "dingtalk": (
        ["姓名", "员工UserID", "手机", "邮箱", "部门", "职位", "是否部门负责人"],
        ["张伟", "0123", "13900000001", "zhang.wei@example.com", "总部/销售部", "销售经理", "是"],
    ),
    # WeCom: 账号 is the userid.
    "wecom": (
        ["姓名", "账号", "别名", "职务", "部门", "性别", "手机", "企业邮箱"],
        [
            "张伟",
            "ZhangWei",
            "",
            "销售经理",
            "总部/销售部",
            "男",
            "13900000001",
            "zhang.wei@example.com",
        ],
    ),
    # Feishu: 用户ID.
    "feishu": (
        ["姓名", "用户ID", "手机号码", "邮箱", "部门", "职务", "部门负责人"],
        [
            "张伟",
            "ou_abc",
            "+86 139 0000 0001",
            "zhang.wei@example.com",
            "总部/销售部",
            "销售经理",
            "是",
        ],
    ),
}


@pytest.mark.parametrize("platform", sorted(LAYOUTS))
def test_contacts_export_layouts_of_dingtalk_wecom_and_feishu(org, hr, platform):
    header, row = LAYOUTS[platform]
    up, plan = upload(org, hr, xlsx(("通讯录", [header, row])))
    assert not plan.errors, plan.errors
    assert [d["name"] for d in plan.departments_new] == ["总部", "销售部"]
    (person,) = plan.people_new
    assert person["name"] == "张伟" and person["identity"].startswith(platform + ":")
    confirm(org, hr, up)
    sales = Department.objects.for_org(org).get(name="销售部")
    assert sales.parent.name == "总部"
    user = User.objects.get(email="zhang.wei@example.com")
    assert (user.last_name, user.first_name) == ("张", "伟")
    assert MemberIdentity.objects.for_org(org).get(user=user).provider == platform
    m = membership(org, user)
    assert m.department == sales and m.title == "销售经理"
    if platform != "wecom":  # the export says who heads the department
        assert DepartmentManager.objects.for_org(org).filter(department=sales, user=user).exists()
    # the same export again: the paths find the departments created by the first
    _up, plan = upload(org, hr, xlsx(("通讯录", [header, row])))
    assert not plan.has_changes and not plan.errors


def test_a_plain_userid_column_takes_the_platform_of_the_form(org, hr):
    rows = [["姓名", "UserID", "邮箱"], ["张伟", "zw", "zw@example.com"]]
    _up, plan = upload(org, hr, xlsx(("s", rows)))
    assert "Which platform" in plan.errors[0]["message"]
    _up, plan = upload(org, hr, xlsx(("s", rows)), platform="wecom")
    assert not plan.errors and plan.people_new[0]["identity"] == "wecom:zw"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_csv_in_utf8_with_bom_gbk_and_utf8(org, hr, encoding):
    _up, plan = upload(org, hr, csv_bytes(PEOPLE, encoding), name="people.csv")
    assert [p["name"] for p in plan.people_new] == ["王芳", "欧阳娜娜", "Anna Schmidt"]
    # department codes unknown without the department sheet: bad rows, nothing else
    assert {e["column"] for e in plan.errors} == set() or all(
        "G (部门)" in e["column"] or "J (负责部门)" in e["column"] for e in plan.errors
    )


def test_english_headers_are_read_too(org, hr):
    departments = [
        ["Department code", "Department name", "English name", "Parent code", "Kind", "Function"],
        ["hq", "总部", "HQ", "", "management", "admin"],
    ]
    people = [
        [
            "Name",
            "Username",
            "E-mail",
            "Mobile",
            "Platform",
            "Platform user id",
            "Department",
            "Job title",
            "Role",
            "Manager of",
        ],
        ["Anna Schmidt", "anna", "anna@example.com", "", "", "", "hq", "CFO", "hr", "hq"],
    ]
    _up, plan = upload(org, hr, xlsx(("Departments", departments), ("People", people)))
    assert not plan.errors
    assert plan.people_new[0]["role"] == Role.HR and plan.people_new[0]["manages"] == ["hq"]


def test_chinese_names_split_with_compound_surnames():
    assert split_full_name("王小明") == ("小明", "王")
    assert split_full_name("司马相如") == ("相如", "司马")
    assert split_full_name("诸葛亮") == ("亮", "诸葛")
    assert split_full_name("欧阳") == ("阳", "欧")  # two characters: one family name
    assert split_full_name("Anna Maria Schmidt") == ("Anna Maria", "Schmidt")


# --- 2,000 people: bulk writes, bounded queries ----------------------------------------


def _big_file(n: int, prefix: str = "user") -> io.BytesIO:
    departments = [DEPARTMENTS[0]] + [
        [f"d{i}", f"部门{i}", f"Dept {i}", "", "业务", "销售"] for i in range(20)
    ]
    people = [PEOPLE[0]] + [
        [
            f"员工{i}",
            f"{prefix}{i}",
            f"{prefix}{i}@example.com",
            f"1380000{i:04d}",
            "钉钉",
            f"{prefix}-dt{i}",
            f"d{i % 20}",
            "职员",
            "",
            f"d{i % 20}" if i < 20 else "",
        ]
        for i in range(n)
    ]
    return xlsx(("部门", departments), ("人员", people))


def _queries(org, hr, n):
    file = _big_file(n, org.slug)
    with CaptureQueriesContext(connection) as preview:
        up, plan = upload(org, hr, file)
    assert not plan.errors and len(plan.people_new) == n
    with CaptureQueriesContext(connection) as write:
        confirm(org, hr, up)
    return len(preview), len(write)


def test_two_thousand_people_import_with_the_same_queries_as_two_hundred(org, hr, other_org):
    small = _queries(other_org, _member_hr(other_org), 200)
    big = _queries(org, hr, 2000)
    assert big == small, (big, small)
    assert big[1] < 80
    assert Membership.objects.for_org(org).filter(is_active=True).count() == 2001
    # and again: nothing to do, still bounded
    with CaptureQueriesContext(connection) as again:
        _up, plan = upload(org, hr, _big_file(2000, org.slug))
    assert not plan.has_changes and len(again) <= big[0]


def _member_hr(org):
    user = User.objects.create_user("hr-of-" + org.slug)
    Membership.objects.create(organization=org, user=user, role=Role.HR)
    return user
