"""Existing organizations get the default feedback criteria (responsiveness, quality,
cooperation), and every existing feedback's single rating becomes its rating on each
criterion asked on support (all three defaults), with no comment per criterion (the old
comment stays the overall comment). The score of a feedback is the average of its
criteria's ratings, so every stored internal service satisfaction stays the same."""

from django.db import migrations

# As reviews.models.DEFAULT_CRITERIA at the time of this migration (Chinese name first: an
# organization's own names are in its language, the English one beside it).
CRITERIA = (
    ("响应速度", "Responsiveness", "support"),
    ("质量", "Quality", "support"),
    ("协作", "Cooperation", "both"),
)


def _system(schema_editor) -> None:
    # Forced row-level security hides tenant rows from a non-superuser owner unless the
    # transaction is a system one (perfhub.rls); a superuser is not subject to it anyway.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('perfhub.system', 'on', true)")


def forwards(apps, schema_editor):
    _system(schema_editor)
    Organization = apps.get_model("departments", "Organization")
    Criterion = apps.get_model("reviews", "FeedbackCriterion")
    Feedback = apps.get_model("reviews", "Feedback")
    Rating = apps.get_model("reviews", "FeedbackRating")
    for org in Organization.objects.all():
        criteria = list(Criterion.objects.filter(organization_id=org.pk))
        if not criteria:
            criteria = [
                Criterion.objects.create(
                    organization_id=org.pk,
                    name=zh if org.language == "zh-hans" else en,
                    name_en=en,
                    applies_to=use,
                    position=i,
                )
                for i, (zh, en, use) in enumerate(CRITERIA, start=1)
            ]
        support = [c for c in criteria if c.is_active and c.applies_to in ("both", "support")]
        Rating.objects.bulk_create(
            [
                Rating(
                    organization_id=org.pk,
                    feedback_id=f.pk,
                    criterion_id=c.pk,
                    rating=f.rating,
                    comment="",
                )
                for f in Feedback.objects.filter(organization_id=org.pk, rating__isnull=False)
                for c in support
            ]
        )


def backwards(apps, schema_editor):
    """The single rating back: the rounded average of the feedback's criteria."""
    _system(schema_editor)
    Feedback = apps.get_model("reviews", "Feedback")
    Rating = apps.get_model("reviews", "FeedbackRating")
    totals: dict[int, list[int]] = {}
    for feedback_id, rating in Rating.objects.values_list("feedback_id", "rating"):
        totals.setdefault(feedback_id, []).append(rating)
    for feedback in Feedback.objects.all():
        ratings = totals.get(feedback.pk) or [3]
        feedback.rating = round(sum(ratings) / len(ratings))
        feedback.save(update_fields=["rating"])
    Rating.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0012_feedback_criteria"),
        ("departments", "0005_organization_feedback_settings"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
