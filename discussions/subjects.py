"""What a thread can be about: the subject registry.

A subject type says how to name its objects in a reference ("kpi-3-7": the KPI 3 in the
period 7), how to load them for an organization (404 for another's), and how to describe
them: title, page, the departments whose viewers may read and write the thread, and the
Thread foreign keys that hold them. Adding a subject is one `register(...)` call (plus a
nullable foreign key on Thread and its migration when the subject is a new model);
CONTRIBUTING.md, "Adding a thread subject", shows one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments import selectors as dept_selectors
from metrics import selectors as metric_selectors
from reviews import selectors as review_selectors
from scorecards.selectors import actions as action_selectors
from scorecards.selectors import goals as goal_selectors


@dataclass(frozen=True)
class Subject:
    """One subject of a thread, described for the pages, the API and the rules."""

    kind: str
    ids: tuple[int, ...]
    title: str
    url: str  # the page that shows it (with its thread)
    # Whoever may see one of these departments may see the thread; () = every member.
    department_ids: tuple[int, ...]
    fields: dict[str, Any] = field(default_factory=dict)  # Thread's foreign keys
    # A feedback entry: the rating department, whose members' posts are shown to the
    # rated department without their names (selectors.author_hidden).
    rater_department_id: int | None = None
    # ... unless the organization's feedback is not anonymous (Organization.feedback_anonymous).
    anonymous: bool = True
    # Users who may see the subject whatever their departments (an action's owner).
    user_ids: tuple[int, ...] = ()

    @property
    def ref(self) -> str:
        return "-".join([self.kind, *map(str, self.ids)])


@dataclass(frozen=True)
class SubjectType:
    kind: str
    label: Any  # lazy text
    # (org, objects already loaded, in the order of the reference) -> Subject; no query.
    build: Callable[..., Subject]
    # (org, *ids) -> the objects, through the owning app's selectors (404 when not found).
    load: Callable[..., tuple]
    arity: int


SUBJECTS: dict[str, SubjectType] = {}


def register(kind: str, *, label, arity: int, load, build) -> None:
    SUBJECTS[kind] = SubjectType(kind=kind, label=label, build=build, load=load, arity=arity)


REF = re.compile(r"^([a-z_]{1,20})((?:-\d{1,12}){1,3})$")


def parse(ref: str) -> tuple[str, tuple[int, ...]]:
    """A reference's kind and ids; ValueError with the reason when it is not one."""
    match = REF.match(ref or "")
    if not match or match.group(1) not in SUBJECTS:
        raise ValueError(_("Unknown subject: expected e.g. kpi-12-3, scorecard-4-3, feedback-9."))
    kind = match.group(1)
    ids = tuple(int(part) for part in match.group(2)[1:].split("-"))
    if len(ids) != SUBJECTS[kind].arity:
        raise ValueError(_("Unknown subject: expected e.g. kpi-12-3, scorecard-4-3, feedback-9."))
    return kind, ids


def subject_load(*, org, ref: str) -> Subject:
    """The subject a reference names in the organization: Http404 when an object is not
    the organization's (the selectors' get_or_404), ValueError for a malformed reference."""
    kind, ids = parse(ref)
    return SUBJECTS[kind].build(org, *SUBJECTS[kind].load(org, *ids))


def subject_of(kind: str, org, *objects) -> Subject:
    """The subject of objects of `org` a page already holds (no query)."""
    return SUBJECTS[kind].build(org, *objects)


# --- The subjects ------------------------------------------------------------------------


def _kpi(org, kpi, period) -> Subject:
    return Subject(
        kind="kpi",
        ids=(kpi.pk, period.pk),
        title=f"{kpi.indicator.display_name} · {kpi.department.display_name} · {period.label}",
        url=reverse("kpi_detail", args=[org.slug, kpi.pk]) + f"?period={period.pk}",
        department_ids=(kpi.department_id,),
        fields={"kpi": kpi, "period": period, "department": kpi.department},
    )


def _load_kpi(org, kpi_id, period_id):
    return (
        metric_selectors.kpi_get(org=org, pk=kpi_id),
        metric_selectors.period_get(org=org, pk=period_id),
    )


register("kpi", label=gettext_lazy("KPI"), arity=2, load=_load_kpi, build=_kpi)


def _scorecard(org, department, period) -> Subject:
    return Subject(
        kind="scorecard",
        ids=(department.pk, period.pk),
        title=_("Scorecard of %(department)s · %(period)s")
        % {"department": department.display_name, "period": period.label},
        url=reverse("department_scorecard", args=[org.slug, department.pk])
        + f"?period={period.pk}",
        department_ids=(department.pk,),
        fields={"department": department, "period": period},
    )


def _load_scorecard(org, department_id, period_id):
    return (
        dept_selectors.department_get(org=org, pk=department_id),
        metric_selectors.period_get(org=org, pk=period_id),
    )


register(
    "scorecard", label=gettext_lazy("Scorecard"), arity=2, load=_load_scorecard, build=_scorecard
)


def _feedback(org, feedback) -> Subject:
    return Subject(
        kind="feedback",
        ids=(feedback.pk,),
        # The rating department is not in the title: under anonymity it may name the rater.
        title=_("Feedback on %(rated)s · %(period)s")
        % {
            "rated": feedback.rated_department.display_name,
            "period": feedback.period.label,
        },
        url=reverse("feedback", args=[org.slug]) + f"?period={feedback.period_id}",
        department_ids=(feedback.rated_department_id, feedback.rater_department_id),
        fields={
            "feedback": feedback,
            "period": feedback.period,
            "department": feedback.rated_department,
            "other_department": feedback.rater_department,
        },
        rater_department_id=feedback.rater_department_id,
        anonymous=bool(org.feedback_anonymous),
    )


register(
    "feedback",
    label=gettext_lazy("Feedback"),
    arity=1,
    load=lambda org, pk: (review_selectors.feedback_get(org=org, pk=pk),),
    build=_feedback,
)


def _goal(org, goal) -> Subject:
    return Subject(
        kind="goal",
        ids=(goal.pk,),
        title=_("Goal: %(title)s") % {"title": goal.title},
        url=reverse("goal_list", args=[org.slug]) + f"?period={goal.period_id}",
        department_ids=(),  # company goals: every member reads them
        fields={"goal": goal, "period": goal.period},
    )


register(
    "goal",
    label=gettext_lazy("Goal"),
    arity=1,
    load=lambda org, pk: (goal_selectors.goal_get(org=org, pk=pk),),
    build=_goal,
)


def _action(org, action) -> Subject:
    """An action plan (scorecards.Action): its comments. Seen by whoever sees its department
    (every member for an action on a company goal) and by its owner."""
    return Subject(
        kind="action",
        ids=(action.pk,),
        title=_("Action: %(title)s") % {"title": action.title},
        url=reverse("action_detail", args=[org.slug, action.pk]),
        department_ids=(action.department_id,) if action.department_id else (),
        fields={"action": action, "period": action.period, "department": action.department},
        user_ids=(action.owner_id,) if action.owner_id else (),
    )


register(
    "action",
    label=gettext_lazy("Action"),
    arity=1,
    load=lambda org, pk: (action_selectors.action_get(org=org, pk=pk),),
    build=_action,
)
