"""The columns of an org-chart file: PerfHub's own template (Chinese or English headers)
and the contacts exports of DingTalk (钉钉), WeCom (企业微信) and Feishu (飞书).

`column_for(header)` maps a header cell to a field name, whatever the layout; a sheet is
a department sheet or a people sheet by the fields its headers name (`sheet_kind`). No
Django here. The full mapping is documented in docs/org-chart.md."""

from __future__ import annotations

import re

# Field → (Chinese header, English header) of PerfHub's template, in the template's order.
DEPARTMENT_COLUMNS = {
    "code": ("部门代码", "Department code"),
    "name": ("部门名称", "Department name"),
    "name_en": ("英文名称", "English name"),
    "parent": ("上级部门代码", "Parent code"),
    "kind": ("类型", "Kind"),
    "function": ("职能", "Function"),
}
PEOPLE_COLUMNS = {
    "name": ("姓名", "Name"),
    "username": ("用户名", "Username"),
    "email": ("邮箱", "E-mail"),
    "mobile": ("手机", "Mobile"),
    "platform": ("平台", "Platform"),
    "uid": ("平台用户ID", "Platform user id"),
    "department": ("部门", "Department"),
    "title": ("职位", "Job title"),
    "role": ("角色", "Role"),
    "manager_of": ("负责部门", "Manager of"),
}

# Other headers of the same fields: the platforms' exports and common spellings. A header
# is compared without case, spaces, "*" (a required-column mark) and a bracketed note.
_DEPARTMENT_ALIASES = {
    "code": ["code", "部门编码", "部门编号", "department_code"],
    "name": ["name", "department", "名称"],
    "name_en": ["name_en", "部门英文名称", "英文名"],
    "parent": ["parent", "parent_code", "parent department code", "上级部门编码", "上级部门"],
    "kind": ["kind", "部门类型"],
    "function": ["function"],
}
_PEOPLE_ALIASES = {
    "name": ["full name", "成员", "员工姓名"],
    "given_name": ["given name", "first name", "名"],
    "family_name": ["family name", "last name", "surname", "姓"],
    "username": ["username", "登录名", "用户名称"],
    "email": ["email", "mail", "电子邮箱", "企业邮箱", "工作邮箱", "个人邮箱", "邮件"],
    "mobile": ["phone", "手机号", "手机号码", "电话"],
    "platform": ["platform"],
    "uid": ["uid", "platform_user_id", "user id"],
    "department": ["所在部门", "部门路径", "主部门"],
    "title": ["title", "job title", "职务", "岗位"],
    "role": ["role", "perfhub role", "perfhub角色"],
    "manager_of": ["manager_of", "manages", "管理部门"],
    "is_head": [
        "部门负责人",
        "是否部门负责人",
        "是否为部门负责人",
        "是否是部门负责人",
        "department head",
    ],
}
# The user-id column of each platform's contacts export names the platform (a file from a
# platform whose column is just "UserID" takes the platform chosen on the upload form).
PLATFORM_UID_HEADERS = {
    "员工userid": "dingtalk",
    "钉钉userid": "dingtalk",
    "钉钉id": "dingtalk",
    "账号": "wecom",
    "企业微信userid": "wecom",
    "用户id": "feishu",
    "飞书用户id": "feishu",
    "userid": "",
}

_NOTE = re.compile(r"[(（][^)）]*[)）]")


def normal(header) -> str:
    """A header cell as compared: text, casefolded, without spaces, "*", a bracketed
    note ("邮箱（选填）") or a byte-order mark."""
    text = _NOTE.sub("", str(header if header is not None else ""))
    return "".join(text.replace("\ufeff", "").replace("*", "").split()).casefold()


def _table(columns: dict, aliases: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, labels in columns.items():
        for label in labels:
            found[normal(label)] = name
    for name, labels in aliases.items():
        for label in labels:
            found.setdefault(normal(label), name)
    return found


DEPARTMENT_HEADERS = _table(DEPARTMENT_COLUMNS, _DEPARTMENT_ALIASES)
PEOPLE_HEADERS = _table(PEOPLE_COLUMNS, _PEOPLE_ALIASES)
for _header in PLATFORM_UID_HEADERS:
    PEOPLE_HEADERS.setdefault(_header, "uid")


def sheet_kind(header_row) -> str | None:
    """ "departments", "people" or None for a header row: a department sheet names a
    department code or parent and no person; a people sheet names a person (name, e-mail,
    user id or username)."""
    cells = {normal(h) for h in header_row if normal(h)}
    people = {PEOPLE_HEADERS[c] for c in cells if c in PEOPLE_HEADERS}
    departments = {DEPARTMENT_HEADERS[c] for c in cells if c in DEPARTMENT_HEADERS}
    if people & {"username", "email", "uid", "mobile", "role", "given_name", "family_name"}:
        return "people"
    if departments & {"code", "parent"}:
        return "departments"
    if "name" in people:
        return "people"
    return None


def positions(header_row, kind: str) -> tuple[dict[str, int], str | None]:
    """Field → column index (from 0) of a sheet of `kind`, and the platform its user-id
    header names ("" when it names none; None without a user-id column)."""
    table = DEPARTMENT_HEADERS if kind == "departments" else PEOPLE_HEADERS
    found: dict[str, int] = {}
    platform = None
    for n, header in enumerate(header_row):
        key = normal(header)
        name = table.get(key)
        if name is not None and name not in found:
            found[name] = n
            if name == "uid":
                platform = PLATFORM_UID_HEADERS.get(key, "")
    return found, platform


def column_letter(index: int) -> str:
    """Spreadsheet letters of a column index from 0 (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
