"""HR imports the org chart on a phone (issue 18 §4): from the Set-up menu's page, uploads a
workbook of departments and people, reads the preview (nothing written yet), confirms,
and finds the new department in the tree."""

import pytest
from openpyxl import Workbook

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser

ROWS = {
    # zh-only data on the Chinese page; usernames and codes apart for each language.
    "zh-hans": (
        ["imp-zh", "华南区", "", "", "业务", "销售"],
        [
            "欧阳娜娜",
            "ouyang.zh",
            "ouyang.zh@example.com",
            "13800138000",
            "钉钉",
            "zh-1",
            "imp-zh",
            "区域经理",
            "部门经理",
            "imp-zh",
        ],
    ),
    "en": (
        ["imp-en", "Southern region", "Southern region", "", "business", "sales"],
        [
            "Anna Schmidt",
            "anna.en",
            "anna.en@example.com",
            "",
            "feishu",
            "ou_en",
            "imp-en",
            "Area manager",
            "manager",
            "imp-en",
        ],
    ),
}


def _workbook(path, lang):
    department, person = ROWS[lang]
    wb = Workbook()
    ws = wb.active
    ws.title = "部门"
    ws.append(["部门代码", "部门名称", "英文名称", "上级部门代码", "类型", "职能"])
    ws.append(department)
    ws = wb.create_sheet("人员")
    ws.append(
        ["姓名", "用户名", "邮箱", "手机", "平台", "平台用户ID", "部门", "职位", "角色", "负责部门"]
    )
    ws.append(person)
    wb.save(path)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_hr_imports_the_org_chart_with_preview_and_confirm(
    stack, browser, axe_source, lang, tmp_path
):
    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 900})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    path = tmp_path / "org.xlsx"
    _workbook(path, lang)
    try:
        v.sign_in("hr")
        v.goto(f"/o/{stack.org}/org-chart/import/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.set_input_files("#id_file", str(path))
        v.submit("main form[enctype] button[type=submit]")
        assert "/org-chart/import/" in page.url
        name = ROWS[lang][1][0]
        assert page.locator("#people-new").inner_text().count(name) == 1
        assert page.locator("#departments-new").is_visible()
        assert page.locator("#import-problems").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        v.submit("#import-confirm button[type=submit]")
        assert page.locator(".alert-success").count() >= 1
        assert page.locator("#import-confirm").count() == 0  # imported: no second confirm
        v.goto(f"/o/{stack.org}/departments/")
        assert ROWS[lang][0][2 if lang == "en" else 1] in page.locator("main").inner_text()
    finally:
        context.close()
