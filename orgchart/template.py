"""The downloadable org-chart template: a department sheet and a people sheet with their
headers in the downloader's language (either language is read back), and a bilingual
instructions sheet with examples. The look is metrics.workbooks'."""

from __future__ import annotations

from django.utils.translation import get_language
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook import Workbook

from metrics import workbooks as wbk

from .columns import DEPARTMENT_COLUMNS, PEOPLE_COLUMNS

SHEETS = {"departments": ("部门", "Departments"), "people": ("人员", "People")}

_INSTRUCTIONS = (
    (
        "“部门”表每行一个部门：部门代码（字母、数字、连字符，必填）、名称、英文名称、"
        "上级部门代码、类型（管理/业务）、职能（如 销售、人力资源、财务、研发）。"
        "上级部门代码为空时保留现有上级（新部门为顶级）。",
        "Departments: one department a row: code (letters, digits, hyphens; required), name, "
        "English name, parent code, kind (management/business), function (such as sales, hr, "
        "finance, rnd). An empty parent code keeps the current parent (a new department is "
        "top level).",
    ),
    (
        "“人员”表每行一个人：姓名（中文姓名按“姓+名”拆分，如 欧阳娜娜 → 欧阳 + 娜娜）、"
        "用户名、邮箱、手机、"
        "平台（钉钉/企业微信/飞书/oidc）与平台用户ID、部门（代码或路径，如 总部/销售部）、职位、"
        "角色（管理员/人事/部门经理/高管，空为部门经理）、负责部门（代码或路径，多个用分号分隔）。",
        "People: one person a row: name (a Chinese name is split family name first: 欧阳娜娜 → "
        "欧阳 + 娜娜), username, e-mail, mobile, platform (dingtalk/wecom/feishu/oidc) and "
        "platform user id, department (code or path such as HQ/Sales), job title, role "
        "(admin/hr/manager/executive; empty: manager), manager of (codes or paths, separated "
        "by semicolons).",
    ),
    (
        "每个人至少需要用户名、邮箱或平台用户ID之一，以便下次导入时识别。也可以直接上传钉钉、企业微信或飞书的"
        "通讯录导出文件（.xlsx 或 .csv，UTF-8 或 GBK 编码）。",
        "Each person needs a username, an e-mail address or a platform user id, so that the "
        "next import finds them again. A DingTalk, WeCom or Feishu contacts export (.xlsx or "
        ".csv, UTF-8 or GBK) can be uploaded as it is.",
    ),
    (
        "上传后先显示预览：将新建、修改的部门和人员，以及文件中没有的现有成员。确认后才会写入；"
        "只要有一行有误，就不会写入任何数据。再次上传同一文件不会有任何改变。导入从不删除任何人或部门。",
        "An upload first shows a preview: the departments and people it will create or change, "
        "and the current members the file does not list. Nothing is written before you "
        "confirm; if any row is wrong nothing is written. Uploading the same file again "
        "changes nothing. The import never deletes anyone or any department.",
    ),
    (
        "示例（部门）：sales | 销售部 | Sales | hq | 业务 | 销售",
        "Example (department): sales | 销售部 | Sales | hq | business | sales",
    ),
    (
        "示例（人员）：王芳 | wangfang | wang.fang@example.com | 13800138000 | 钉钉 | 0123456 | "
        "sales | 销售经理 | 部门经理 | sales",
        "Example (person): Anna Schmidt | anna | anna@example.com | +49 30 1234567 | feishu | "
        "ou_7d8a6e | sales | Sales manager | manager | sales",
    ),
)


def template_bytes() -> bytes:
    """The template, headers in the active language."""
    english = (get_language() or "").startswith("en")
    at = 1 if english else 0
    wb = Workbook(write_only=True)
    for key, columns in (("departments", DEPARTMENT_COLUMNS), ("people", PEOPLE_COLUMNS)):
        ws = wb.create_sheet(SHEETS[key][at])
        ws.freeze_panes = "A2"
        header = []
        for n, labels in enumerate(columns.values(), start=1):
            ws.column_dimensions[_letter(n)].width = max(14, len(labels[at]) + 4)
            cell = WriteOnlyCell(ws, value=labels[at])
            cell.font = wbk.HEADER_FONT
            cell.fill = wbk.INPUT_FILL if n <= 2 else wbk.HEADER_FILL
            cell.border = wbk.THIN_BOTTOM
            header.append(cell)
        ws.append(header)
    ws = wb.create_sheet("说明 Instructions")
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["B"].width = 90
    heading = [WriteOnlyCell(ws, value="说明"), WriteOnlyCell(ws, value="Instructions")]
    for cell in heading:
        cell.font = Font(bold=True, size=14)
    ws.append(heading)
    for zh, en in _INSTRUCTIONS:
        a, b = WriteOnlyCell(ws, value=zh), WriteOnlyCell(ws, value=en)
        a.alignment = b.alignment = wbk.WRAP
        ws.append([a, b])
    return wbk.save(wb)


def _letter(n: int) -> str:
    return chr(64 + n)
