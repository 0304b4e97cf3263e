"""The database itself refuses UPDATE and DELETE on events, on SQLite and PostgreSQL."""

from django.db import migrations

from . import _triggers


def forwards(apps, schema_editor):
    _triggers.install(schema_editor.connection)


def backwards(apps, schema_editor):
    _triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("curation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
