"""Existing organizations get the default review steps (manager's self-assessment → HR
check → executive decision) and existing reviews are put on them: a draft or returned
review at the manager's step; a submitted one at the executive decision, where it was
already waiting (it does not go back to HR); an approved one past the last step. Their
transitions get the steps they moved between, so the history reads as before."""

from django.db import migrations

MANAGER, HR, EXECUTIVE = "manager", "hr", "executive"


def _system(schema_editor) -> None:
    # Forced row-level security hides tenant rows from a non-superuser owner unless the
    # transaction is a system one (perfhub.rls); a superuser is not subject to it anyway.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('perfhub.system', 'on', true)")


def forwards(apps, schema_editor):
    _system(schema_editor)
    Organization = apps.get_model("departments", "Organization")
    ReviewStep = apps.get_model("reviews", "ReviewStep")
    Review = apps.get_model("reviews", "Review")
    ReviewTransition = apps.get_model("reviews", "ReviewTransition")
    for org_id in Organization.objects.values_list("pk", flat=True):
        steps = {s.role: s for s in ReviewStep.objects.filter(organization_id=org_id)}
        if not steps:
            steps = {
                role: ReviewStep.objects.create(organization_id=org_id, position=i, role=role)
                for i, role in enumerate((MANAGER, HR, EXECUTIVE), start=1)
            }
        manager, executive = steps[MANAGER], steps[EXECUTIVE]
        reviews = Review.objects.filter(organization_id=org_id, current_step=None)
        reviews.filter(status__in=["draft", "returned"]).update(current_step=manager)
        reviews.filter(status="submitted").update(current_step=executive)
        moves = ReviewTransition.objects.filter(organization_id=org_id)
        moves.filter(from_status__in=["draft", "returned"]).update(from_step=manager)
        moves.filter(from_status="submitted").update(from_step=executive)
        moves.filter(to_status="submitted").update(to_step=executive)
        moves.filter(to_status="returned").update(to_step=manager)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0006_review_steps")]

    # Backwards the columns and the steps table go away with 0006: nothing to undo here.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
