"""The change-request guards fire for the columns they check (see _workflow_triggers): an
UPDATE of a request's status (every approval's closing) or of its rebase flag no longer
compares its documents. The same rules with the same messages, on both backends; installed
afresh (SQLite's triggers are created only where missing, so they are dropped first)."""

from django.db import migrations

from . import _workflow_triggers


def forwards(apps, schema_editor):
    _workflow_triggers.uninstall(schema_editor.connection)
    _workflow_triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("curation", "0014_event_stream_index_duplicate")]
    # Backwards: the guards by column keep every rule the guards before them kept (and
    # 0004's reverse drops them).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
