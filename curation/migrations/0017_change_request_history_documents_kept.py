"""A change request's history rows say whether they hold its documents: an approval's row
leaves them out (``curation.request_history``). Every existing row holds them, as does every
row a writer inserts without naming the column (the database's default)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0016_unqueried_history_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalchangerequest",
            name="documents_kept",
            field=models.BooleanField(db_default=True, default=True),
        ),
    ]
