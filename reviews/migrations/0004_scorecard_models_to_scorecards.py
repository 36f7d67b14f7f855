"""The scorecard models (ScorecardLine, Scorecard, OrgScorecard, RecalculationRun, Goal,
GoalLink) moved to the scorecards app with their tables and rows: removed from this app's
migration state only (no table is touched; scorecards.0001 declares them, db_table keeps
the names), and their content types relabelled so that admin permissions and log entries
keep pointing at them."""

from django.db import migrations

MOVED = ["scorecardline", "scorecard", "orgscorecard", "recalculationrun", "goal", "goallink"]


def relabel(apps, schema_editor, old="reviews", new="scorecards"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    types = ContentType.objects.using(db)
    for model in MOVED:
        if types.filter(app_label=new, model=model).exists():
            continue  # already there (created by a migrate of the new code): keep it
        types.filter(app_label=old, model=model).update(app_label=new)


def relabel_back(apps, schema_editor):
    relabel(apps, schema_editor, old="scorecards", new="reviews")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reviews", "0003_derived_rows_unindexed"),
        ("scorecards", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="GoalLink"),
                migrations.DeleteModel(name="Goal"),
                migrations.DeleteModel(name="ScorecardLine"),
                migrations.DeleteModel(name="Scorecard"),
                migrations.DeleteModel(name="OrgScorecard"),
                migrations.DeleteModel(name="RecalculationRun"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel, relabel_back),
    ]
