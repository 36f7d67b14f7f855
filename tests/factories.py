"""factory_boy factories that keep every related object in the same organization."""

import factory
from django.contrib.auth import get_user_model

from departments.models import Department, DepartmentClosure, Membership, Organization, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-123")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    language = "en"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER


def make_department(org, *, code, kind="business", function="sales", parent=None, **kwargs):
    """A department through the service, so the closure table is kept."""
    from departments.services import department_create

    return department_create(
        org=org,
        by=None,
        name=kwargs.pop("name", code.title()),
        code=code,
        kind=kind,
        function=function,
        parent=parent,
        **kwargs,
    )


__all__ = [
    "Department",
    "DepartmentClosure",
    "MembershipFactory",
    "OrganizationFactory",
    "UserFactory",
    "make_department",
]


def enter_actuals(org, *entries, by=None):
    """Actuals through the one write path, as an admin would enter them: each entry is
    (kpi, period, value) or (kpi, period, value, note); a note defaults to "n" so that red
    values pass."""
    from metrics.services.actuals import ActualInput, actuals_save

    return actuals_save(
        org=org,
        by=by,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(kpi.pk, period.pk, value, note=(rest[0] if rest else "n"))
            for kpi, period, value, *rest in entries
        ],
    )


def give_feedback(
    org, *, period, rater_department, rated_department, rating, comment="", by=None, **per
):
    """Feedback through the one write path: `rating` on every criterion asked in the pair's
    direction (as the single rating before criteria), unless `per` names a criterion's
    rating by its English name in lower case (`quality=2`)."""
    from reviews.services.criteria import criteria_asked, feedback_criteria
    from reviews.services.feedback import Rated, feedback_direction, feedback_save

    direction = feedback_direction(rater_department, rated_department) or "support"
    ratings = [
        Rated(criterion=c.pk, rating=per.get(c.name_en.lower(), rating))
        for c in criteria_asked(feedback_criteria(org=org), direction)
    ]
    return feedback_save(
        org=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        ratings=ratings,
        comment=comment,
        by=by,
    )
