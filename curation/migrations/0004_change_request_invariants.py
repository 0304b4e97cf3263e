"""Change requests keep their author, record, base and decisions in the database too; reviews
are append-only; one change request yields at most one event (see _workflow_triggers)."""

from django.db import migrations, models

from . import _workflow_triggers


def forwards(apps, schema_editor):
    _workflow_triggers.install(schema_editor.connection)


def backwards(apps, schema_editor):
    _workflow_triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("curation", "0003_event_slug_index")]
    operations = [
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("change_request__isnull", False)),
                fields=("change_request",),
                name="event_one_per_change_request",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
