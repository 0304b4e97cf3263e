"""History tables keep the indexes something reads them by (the record id, the history user):
the copies of the live tables' lookup indexes and history_date go (models.UNINDEXED_IN_HISTORY,
SIMPLE_HISTORY_DATE_INDEX)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0002_results_model_v2"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalcitation",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="slug",
            field=models.SlugField(db_index=False, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicalintervention",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicalintervention",
            name="slug",
            field=models.SlugField(db_index=False, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicaltopic",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicaltopic",
            name="slug",
            field=models.SlugField(db_index=False, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicaltrial",
            name="history_date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="historicaltrial",
            name="phases_text",
            field=models.CharField(
                blank=True,
                help_text='The phases, each between spaces (" 2 3 "), for lookups.',
                max_length=100,
            ),
        ),
        migrations.AlterField(
            model_name="historicaltrial",
            name="registry_ids_text",
            field=models.CharField(
                blank=True, help_text="Registry ids, space separated, for lookups.", max_length=1000
            ),
        ),
        migrations.AlterField(
            model_name="historicaltrial",
            name="setting",
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AlterField(
            model_name="historicaltrial",
            name="slug",
            field=models.SlugField(db_index=False, max_length=100),
        ),
    ]
