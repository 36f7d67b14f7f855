"""What an org-chart upload would do to the organization: the preview, the bad rows and
the writes, computed from the parsed file (orgchart.reading) and the organization's
current departments and members in a fixed number of queries.

The same function runs for the preview and again on confirm: when the organization has
changed in between, the digest of what the import would do differs and the confirm is
refused (HR looks at the new preview). Matching, so that a second upload of the same file
changes nothing:

- a department by its code; a department given as a path ("总部/销售部", from a contacts
  export) by its name under its parent, else it is created with the code `d-<hash>` of
  the path;
- a person by their platform user id (MemberIdentity), else their username, else their
  e-mail address, among the organization's members only. Anyone else is a new account:
  the import never takes over an account of another organization.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils.translation import gettext as _

from departments.models import (
    Department,
    DepartmentFunction,
    DepartmentKind,
    DepartmentManager,
    IdentityProvider,
    MemberIdentity,
    Membership,
    Role,
)
from departments.org_chart import DepartmentWrite, PersonWrite
from departments.permissions import can_manage_members
from perfhub.names import display_name, person_name, split_full_name

from .reading import error

User = get_user_model()

_SEPARATORS = re.compile(r"[;；,，、|\n]+")
_PATH = re.compile(r"\s*[/／]\s*")
_MOBILE = re.compile(r"^\+?[0-9][0-9 \-]{4,28}$")
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "x"}
_NO = {"否", "n", "no", "false", "0", ""}
_USERNAME = UnicodeUsernameValidator()

PLATFORMS = {
    "dingtalk": IdentityProvider.DINGTALK,
    "钉钉": IdentityProvider.DINGTALK,
    "wecom": IdentityProvider.WECOM,
    "企业微信": IdentityProvider.WECOM,
    "企微": IdentityProvider.WECOM,
    "wechatwork": IdentityProvider.WECOM,
    "feishu": IdentityProvider.FEISHU,
    "飞书": IdentityProvider.FEISHU,
    "lark": IdentityProvider.FEISHU,
    "oidc": IdentityProvider.OIDC,
    "openidconnect": IdentityProvider.OIDC,
}
ROLES = {
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
    "管理员": Role.ADMIN,
    "hr": Role.HR,
    "人事": Role.HR,
    "人力资源": Role.HR,
    "manager": Role.MANAGER,
    "departmentmanager": Role.MANAGER,
    "部门经理": Role.MANAGER,
    "经理": Role.MANAGER,
    "executive": Role.EXECUTIVE,
    "高管": Role.EXECUTIVE,
    "管理层": Role.EXECUTIVE,
}
KINDS = {
    "management": DepartmentKind.MANAGEMENT,
    "管理": DepartmentKind.MANAGEMENT,
    "管理部门": DepartmentKind.MANAGEMENT,
    "职能": DepartmentKind.MANAGEMENT,
    "business": DepartmentKind.BUSINESS,
    "业务": DepartmentKind.BUSINESS,
    "业务部门": DepartmentKind.BUSINESS,
}
FUNCTIONS_ZH = {
    "人力资源": "hr",
    "人事": "hr",
    "财务": "finance",
    "行政": "admin",
    "信息技术": "it",
    "法务": "legal",
    "销售": "sales",
    "生产": "production",
    "研发": "rnd",
    "客服": "service",
    "客户服务": "service",
    "市场": "marketing",
    "其他": "other",
}


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


def _functions() -> dict[str, str]:
    found = {_key(v): v for v in DepartmentFunction.values}
    found.update({_key(str(label)): v for v, label in DepartmentFunction.choices})
    found.update({_key(k): v for k, v in FUNCTIONS_ZH.items()})
    found["r&d"] = "rnd"
    return found


@dataclass
class Plan:
    """The preview (`departments_new`, `departments_changed`, `people_new`,
    `people_changed`, `missing`, `unchanged`), the bad rows (`errors`) and the writes."""

    errors: list[dict] = field(default_factory=list)
    departments_new: list[dict] = field(default_factory=list)
    departments_changed: list[dict] = field(default_factory=list)
    people_new: list[dict] = field(default_factory=list)
    people_changed: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    unchanged: int = 0
    department_writes: list[DepartmentWrite] = field(default_factory=list)
    person_writes: list[PersonWrite] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.departments_new
            or self.departments_changed
            or self.people_new
            or self.people_changed
        )

    def preview(self) -> dict:
        """The JSON the page and the API show (and the digest covers)."""
        return {
            "departments_new": self.departments_new,
            "departments_changed": self.departments_changed,
            "people_new": self.people_new,
            "people_changed": self.people_changed,
            "missing": self.missing,
            "unchanged": self.unchanged,
        }

    @property
    def digest(self) -> str:
        data = json.dumps(
            {"preview": self.preview(), "errors": self.errors}, sort_keys=True, default=str
        )
        return hashlib.sha256(data.encode()).hexdigest()


def build(*, org, parsed: dict, by_membership, platform: str = "") -> Plan:
    """Compare the parsed upload with the organization (fixed queries: departments,
    members with their accounts, identities, managers, taken usernames)."""
    plan = Plan(errors=list(parsed.get("errors", [])))
    labels = parsed.get("columns", {})
    builder = _Builder(org, plan, labels, by_membership)
    builder.departments(parsed.get("departments", []))
    people = parsed.get("people", [])
    if people or any(s for s, cols in labels.items() if "name" in cols and "code" not in cols):
        builder.people(people, platform or parsed.get("platform") or "")
    plan.errors.sort(key=lambda e: (e["sheet"], e["row"], e["column"]))
    if plan.errors:
        plan.department_writes, plan.person_writes = [], []
    return plan


class _Builder:
    def __init__(self, org, plan: Plan, labels: dict, by_membership):
        self.org, self.plan, self.labels, self.by = org, plan, labels, by_membership
        existing = list(Department.objects.for_org(org).order_by("pk"))
        self.by_code: dict[str, Department] = {d.code: d for d in existing}
        self.by_pk = {d.pk: d for d in existing}
        # code → (parent code or None) of the tree after the import; names of new ones.
        self.parent_of: dict[str, str | None] = {
            d.code: (self.by_pk[d.parent_id].code if d.parent_id else None) for d in existing
        }
        self.names: dict[str, str] = {d.code: d.name for d in existing}
        self.new_codes: set[str] = set()
        self.writes: dict[str, DepartmentWrite] = {}

    def fail(self, record: dict, column: str, message: str) -> None:
        label = self.labels.get(record["sheet"], {}).get(column, column)
        self.plan.errors.append(error(record["sheet"], record["row"], label, message))

    # --- departments ------------------------------------------------------------------

    def departments(self, rows: list[dict]) -> None:
        functions = _functions()
        seen: set[str] = set()
        valid: list[tuple[dict, dict]] = []
        for r in rows:
            ok = True
            code = r["code"]
            if not code:
                self.fail(r, "code", _("The department code is empty."))
                continue
            try:
                validate_slug(code)
                if len(code) > 40:
                    raise ValidationError("long")
            except ValidationError:
                self.fail(
                    r,
                    "code",
                    _(
                        "“%(value)s” is not a code: at most 40 letters, digits, hyphens or "
                        "underscores, without spaces."
                    )
                    % {"value": code},
                )
                continue
            if code in seen:
                self.fail(r, "code", _("The code %(code)s is in the file twice.") % {"code": code})
                continue
            seen.add(code)
            current = self.by_code.get(code)
            if not r["name"] and current is None:
                self.fail(r, "name", _("A new department needs a name."))
                ok = False
            for name in ("name", "name_en"):
                if len(r[name]) > 200:
                    self.fail(r, name, _("At most %(n)s characters.") % {"n": 200})
                    ok = False
            kind = KINDS.get(_key(r["kind"])) if r["kind"] else ""
            if kind is None:
                self.fail(
                    r,
                    "kind",
                    _("“%(value)s” is not a kind: write 管理/management or 业务/business.")
                    % {"value": r["kind"]},
                )
                ok = False
            function = functions.get(_key(r["function"])) if r["function"] else ""
            if function is None:
                self.fail(
                    r,
                    "function",
                    _("“%(value)s” is not a function: write one of %(choices)s.")
                    % {"value": r["function"], "choices": ", ".join(DepartmentFunction.values)},
                )
                ok = False
            if ok:
                valid.append((r, {"kind": kind, "function": function}))
                if current is None:
                    self.new_codes.add(code)
                    self.names[code] = r["name"]
        for r, extra in valid:
            parent = r["parent"] or None
            if parent is not None and parent not in self.by_code and parent not in self.new_codes:
                self.fail(
                    r,
                    "parent",
                    _("No department has the code %(code)s (in this file or the organization).")
                    % {"code": parent},
                )
                continue
            if parent == r["code"]:
                self.fail(r, "parent", _("A department cannot be its own parent."))
                continue
            if parent is not None or r["code"] in self.new_codes:
                self.parent_of[r["code"]] = parent
            self._department(r, extra)
        for r, _extra in valid:
            if self._cycles(r["code"]):
                self.fail(
                    r,
                    "parent",
                    _("%(code)s is below itself through its parents: that would make a cycle.")
                    % {"code": r["code"]},
                )

    def _cycles(self, code: str) -> bool:
        seen: set[str] = set()
        node: str | None = code
        while node is not None:
            if node in seen:
                return True
            seen.add(node)
            node = self.parent_of.get(node)
        return False

    def _department(self, r: dict, extra: dict) -> None:
        code = r["code"]
        current = self.by_code.get(code)
        parent = self.parent_of.get(code)
        if current is None:
            write = DepartmentWrite(
                code=code,
                name=r["name"],
                name_en=r["name_en"],
                kind=extra["kind"] or DepartmentKind.BUSINESS,
                function=extra["function"] or DepartmentFunction.OTHER,
                parent=parent,
            )
            self.writes[code] = write
            self.plan.department_writes.append(write)
            self.plan.departments_new.append(
                {
                    "code": code,
                    "name": r["name"],
                    "name_en": r["name_en"],
                    "parent": parent,
                    "kind": write.kind,
                    "function": write.function,
                }
            )
            return
        old_parent = self.by_pk[current.parent_id].code if current.parent_id else None
        wanted = {
            "name": r["name"] or current.name,
            "name_en": r["name_en"] or current.name_en,
            "kind": extra["kind"] or current.kind,
            "function": extra["function"] or current.function,
        }
        changes = {k: v for k, v in wanted.items() if getattr(current, k) != v}
        if parent != old_parent:
            changes["parent"] = parent
        if not changes:
            self.plan.unchanged += 1
            return
        write = DepartmentWrite(code=code, pk=current.pk, changes=changes)
        self.plan.department_writes.append(write)
        self.plan.departments_changed.append(
            {
                "code": code,
                "name": current.name,
                "changes": [
                    {
                        "field": k,
                        "old": old_parent if k == "parent" else getattr(current, k),
                        "new": v,
                    }
                    for k, v in changes.items()
                ],
            }
        )

    def resolve(self, r: dict, column: str, value: str) -> list[str] | None:
        """The department codes a people cell names (codes or paths, several separated by
        ; , 、 or |), creating path departments as needed; None after a row error."""
        codes = []
        for part in (p.strip() for p in _SEPARATORS.split(value)):
            if not part:
                continue
            if part in self.by_code or part in self.new_codes:
                codes.append(part)
                continue
            segments = [s for s in _PATH.split(part) if s]
            parent: str | None = None
            for depth, segment in enumerate(segments):
                if len(segment) > 200:
                    self.fail(r, column, _("At most %(n)s characters.") % {"n": 200})
                    return None
                code = self._child(parent, segment)
                if code is None:
                    path = "/".join(segments[: depth + 1])
                    code = "d-" + hashlib.sha1(path.encode()).hexdigest()[:10]  # noqa: S324
                    if code not in self.new_codes:
                        self.new_codes.add(code)
                        self.names[code] = segment
                        self.parent_of[code] = parent
                        self._department(
                            {"code": code, "name": segment, "name_en": ""},
                            {"kind": "", "function": ""},
                        )
                parent = code
            if parent is not None:
                codes.append(parent)
        return codes

    def _child(self, parent: str | None, name: str) -> str | None:
        """The code of the department called `name` under `parent` (None: top level)."""
        folded = _key(name)
        for code, parent_code in self.parent_of.items():
            if parent_code != parent:
                continue
            department = self.by_code.get(code)
            names = {_key(self.names.get(code, ""))}
            if department is not None:
                names |= {_key(department.name), _key(department.name_en)}
            if folded in names:
                return code
        return None

    # --- people -----------------------------------------------------------------------

    def people(self, rows: list[dict], default_platform: str) -> None:
        org = self.org
        members = list(Membership.objects.for_org(org).select_related("user").order_by("pk"))
        by_user = {m.user_id: m for m in members}
        by_username = {m.user.username: m for m in members}
        by_email: dict[str, list[Membership]] = {}
        for m in members:
            if m.user.email:
                by_email.setdefault(m.user.email.casefold(), []).append(m)
        identities = {(i.provider, i.uid): i.user_id for i in MemberIdentity.objects.for_org(org)}
        identity_of_user = {(p, u): uid for (p, uid), u in identities.items()}
        managed: set[tuple[str, int]] = set()
        for department_id, user_id in DepartmentManager.objects.for_org(org).values_list(
            "department_id", "user_id"
        ):
            department = self.by_pk.get(department_id)
            if department is not None:
                managed.add((department.code, user_id))
        wanted_usernames = {r["username"] for r in rows if r["username"]}
        for r in rows:
            base = self._username_base(r)
            wanted_usernames |= {base} | {f"{base}{n}" for n in range(2, 10)}
        taken = set(
            User.objects.filter(username__in=wanted_usernames).values_list("username", flat=True)
        )
        admin_importer = can_manage_members(self.by)
        active_admins = sum(1 for m in members if m.role == Role.ADMIN and m.is_active)
        seen: dict[tuple, int] = {}
        matched: set[int] = set()
        new_usernames: set[str] = set()
        for r in rows:
            self._person(
                r,
                default_platform=default_platform,
                by_user=by_user,
                by_username=by_username,
                by_email=by_email,
                identities=identities,
                identity_of_user=identity_of_user,
                managed=managed,
                taken=taken,
                new_usernames=new_usernames,
                seen=seen,
                matched=matched,
                admin_importer=admin_importer,
            )
        demoted = sum(
            1
            for w in self.plan.person_writes
            if w.membership_id is not None
            and w.user_id is not None
            and by_user[w.user_id].role == Role.ADMIN
            and w.role != Role.ADMIN
        )
        if active_admins and demoted >= active_admins:
            self.plan.errors.append(
                error("", 0, "", _("The organization needs at least one admin."))
            )
        for m in members:
            if m.is_active and m.pk not in matched and m.user_id != self.by.user_id:
                self.plan.missing.append(
                    {
                        "id": m.pk,
                        "name": display_name(m.user),
                        "username": m.user.username,
                        "role": m.role,
                    }
                )

    @staticmethod
    def _username_base(r: dict) -> str:
        source = r["email"].split("@")[0] if r["email"] else r["uid"]
        base = re.sub(r"[^\w.@+-]", "", source or "", flags=re.ASCII)[:140]
        return base or "member"

    def _person(self, r: dict, **ctx) -> None:  # noqa: C901, PLR0912, PLR0915 - one row's rules in order
        ok = True
        given, family = r["given_name"], r["family_name"]
        if r["name"] and not (given or family):
            given, family = split_full_name(r["name"])
        full = person_name(given, family)
        if not full:
            self.fail(r, "name", _("The name is empty."))
            ok = False
        if len(given) > 150 or len(family) > 150:
            self.fail(r, "name", _("At most %(n)s characters.") % {"n": 150})
            ok = False
        email = r["email"].strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.fail(r, "email", _("“%(value)s” is not an e-mail address.") % {"value": email})
                ok = False
        mobile = r["mobile"]
        if mobile and not _MOBILE.match(mobile):
            self.fail(r, "mobile", _("“%(value)s” is not a mobile number.") % {"value": mobile})
            ok = False
        provider = ""
        uid = r["uid"]
        if uid:
            raw = r["platform"] or ctx["default_platform"]
            provider = PLATFORMS.get(_key(raw), "") if raw else ""
            if not provider:
                column = "platform" if r["platform"] else "uid"
                self.fail(
                    r,
                    column,
                    _(
                        "Which platform is this user id from? Write 钉钉/dingtalk, "
                        "企业微信/wecom, 飞书/feishu or oidc in the platform column, or choose it "
                        "on the upload form."
                    )
                    if not r["platform"]
                    else _("“%(value)s” is not a platform: write dingtalk, wecom, feishu or oidc.")
                    % {"value": r["platform"]},
                )
                ok = False
            elif len(uid) > 200:
                self.fail(r, "uid", _("At most %(n)s characters.") % {"n": 200})
                ok = False
        role = ROLES.get(_key(r["role"])) if r["role"] else ""
        if role is None:
            self.fail(
                r,
                "role",
                _("“%(value)s” is not a role: write admin, hr, manager or executive.")
                % {"value": r["role"]},
            )
            ok = False
        username = r["username"]
        if username:
            try:
                _USERNAME(username)
                if len(username) > 150:
                    raise ValidationError("long")
            except ValidationError:
                self.fail(
                    r,
                    "username",
                    _("“%(value)s” is not a username: letters, digits and @ . + - _ only.")
                    % {"value": username},
                )
                ok = False
        if not (username or email or uid):
            self.fail(
                r,
                "name",
                _(
                    "Give a username, an e-mail address or a platform user id: without one, "
                    "the person cannot be found again by the next import."
                ),
            )
            ok = False
        # The same person twice in the file.
        for column, key in (
            ("uid", (provider, uid) if uid and provider else None),
            ("username", ("u", username) if username else None),
            ("email", ("e", email.casefold()) if email else None),
        ):
            if key is None:
                continue
            if key in ctx["seen"]:
                self.fail(
                    r,
                    column,
                    _("Also in row %(row)s: each person once.") % {"row": ctx["seen"][key]},
                )
                ok = False
            else:
                ctx["seen"][key] = r["row"]
        # Departments.
        home = None
        if r["department"]:
            codes = self.resolve(r, "department", r["department"])
            if codes is None:
                ok = False
            elif codes:
                home = codes[0]
        manages: list[str] = []
        if r["manager_of"]:
            codes = self.resolve(r, "manager_of", r["manager_of"])
            if codes is None:
                ok = False
            else:
                manages += codes
        if r["is_head"]:
            flag = _key(r["is_head"])
            if flag in _YES:
                if r["department"]:
                    manages += self.resolve(r, "department", r["department"]) or []
                else:
                    self.fail(r, "is_head", _("A department head needs a department."))
                    ok = False
            elif flag not in _NO:
                self.fail(r, "is_head", _("Write 是/yes or 否/no."))
                ok = False
        # Who it is.
        member = None
        candidates = []
        if uid and provider and (provider, uid) in ctx["identities"]:
            candidates.append(("uid", ctx["by_user"].get(ctx["identities"][(provider, uid)])))
        if username and username in ctx["by_username"]:
            candidates.append(("username", ctx["by_username"][username]))
        if email and not candidates:
            found = ctx["by_email"].get(email.casefold(), [])
            if len(found) > 1:
                self.fail(
                    r,
                    "email",
                    _("Several members have this e-mail address: give their username."),
                )
                ok = False
            elif found:
                candidates.append(("email", found[0]))
        ids = {m.pk for _c, m in candidates if m is not None}
        if len(ids) > 1:
            self.fail(
                r,
                candidates[1][0],
                _("The user id, username and e-mail address name different members."),
            )
            return
        member = next((m for _c, m in candidates if m is not None), None)
        if member is not None and member.pk in ctx["matched"]:
            self.fail(r, "name", _("This member is already in another row of the file."))
            return
        if member is not None:
            ctx["matched"].add(member.pk)
        if not ok:
            return
        manages = list(dict.fromkeys(manages))
        if member is None:
            self._new_person(r, ctx, given, family, full, email, provider, uid, role, home, manages)
        else:
            self._known_person(r, ctx, member, given, family, provider, uid, role, home, manages)

    def _new_person(self, r, ctx, given, family, full, email, provider, uid, role, home, manages):
        username = r["username"]
        if username:
            if username in ctx["taken"] or username in ctx["new_usernames"]:
                self.fail(
                    r,
                    "username",
                    _("The username %(value)s is taken: choose another or leave it empty.")
                    % {"value": username},
                )
                return
        else:
            base = self._username_base(r)
            options = [base] + [f"{base}{n}" for n in range(2, 10)]
            username = next(
                (o for o in options if o not in ctx["taken"] and o not in ctx["new_usernames"]),
                "",
            )
            if not username:
                self.fail(
                    r, "username", _("Give this person a username: the ones tried are taken.")
                )
                return
        if (provider, uid) in ctx["identities"] if uid else False:
            self.fail(r, "uid", _("This user id belongs to another member."))
            return
        role = role or Role.MANAGER
        if role == Role.ADMIN and not ctx["admin_importer"]:
            self.fail(r, "role", _("Only an administrator can give the admin role."))
            return
        ctx["new_usernames"].add(username)
        write = PersonWrite(
            username=username,
            email=email,
            first_name=given,
            last_name=family,
            role=role,
            department=home,
            title=r["title"][:100],
            mobile=r["mobile"],
            identity=(provider, uid) if uid else None,
            manages=manages,
        )
        self.plan.person_writes.append(write)
        self.plan.people_new.append(
            {
                "row": r["row"],
                "name": full,
                "username": username,
                "email": email,
                "role": role,
                "department": home or "",
                "manages": manages,
                "identity": f"{provider}:{uid}" if uid else "",
            }
        )

    def _known_person(self, r, ctx, member, given, family, provider, uid, role, home, manages):
        changes = []
        if not member.is_active:
            changes.append({"field": "is_active", "old": False, "new": True})
        new_role = role or member.role
        if new_role != member.role:
            if Role.ADMIN in (new_role, member.role) and not ctx["admin_importer"]:
                self.fail(r, "role", _("Only an administrator can give or take the admin role."))
                return
            changes.append({"field": "role", "old": member.role, "new": new_role})
        department = member.department_id and self.by_pk[member.department_id].code
        new_department = home or department or None
        if new_department != (department or None):
            changes.append({"field": "department", "old": department or "", "new": new_department})
        title = r["title"][:100] or member.title
        if title != member.title:
            changes.append({"field": "title", "old": member.title, "new": title})
        mobile = r["mobile"] or member.mobile
        if mobile != member.mobile:
            changes.append({"field": "mobile", "old": member.mobile, "new": mobile})
        identity = None
        if uid:
            current = ctx["identity_of_user"].get((provider, member.user_id))
            if current is None:
                if (provider, uid) in ctx["identities"]:
                    self.fail(r, "uid", _("This user id belongs to another member."))
                    return
                identity = (provider, uid)
                changes.append({"field": "identity", "old": "", "new": f"{provider}:{uid}"})
            elif current != uid:
                self.fail(
                    r,
                    "uid",
                    _(
                        "This member already has the %(platform)s user id %(uid)s; PerfHub does "
                        "not change it by import."
                    )
                    % {"platform": provider, "uid": current},
                )
                return
        adds = [c for c in manages if (c, member.user_id) not in ctx["managed"]]
        if adds:
            changes.append({"field": "manages", "old": "", "new": ", ".join(adds)})
        user = member.user
        fill = bool((given and not user.first_name) or (family and not user.last_name))
        if fill:
            changes.append(
                {
                    "field": "name",
                    "old": display_name(user),
                    "new": person_name(user.first_name or given, user.last_name or family),
                }
            )
        if not changes:
            self.plan.unchanged += 1
            return
        self.plan.person_writes.append(
            PersonWrite(
                user_id=member.user_id,
                membership_id=member.pk,
                first_name=given,
                last_name=family,
                role=new_role,
                is_active=True,
                department=new_department,
                title=title,
                mobile=mobile,
                identity=identity,
                manages=adds,
                fill_names=fill,
            )
        )
        self.plan.people_changed.append(
            {
                "row": r["row"],
                "id": member.pk,
                "name": display_name(user),
                "username": user.username,
                "changes": changes,
            }
        )
