"""The read models of schema version 2 (the general results model).

Columns follow the documents' new fields; the documents the read models keep are upcast to
the current schema version, and the new columns filled from them, so an upgraded database
reads exactly as a fresh projection of its log would (``rebuild_projections`` gives the same).
"""

from django.db import migrations, models

from evidence.documents import upcast
from evidence.documents.record_types import phases_text

RECORD_MODELS = ("Topic", "Intervention", "Citation", "Trial")


def upcast_documents(apps, schema_editor):
    for name in RECORD_MODELS:
        for model in (
            apps.get_model("evidence", name),
            apps.get_model("evidence", f"Historical{name}"),
        ):
            record_type = name.lower()
            for row in model.objects.all().iterator():
                document = upcast(record_type, row.document)
                if document is row.document:
                    continue
                row.document = document
                fields = ["document"]
                if name == "Trial":
                    # The columns a trial's document changed in: phases, registry ids (which
                    # now say whether editors identified them).
                    row.phases = document["phases"]
                    row.phases_text = phases_text(document["phases"])
                    row.registry_ids = document["registry_ids"]
                    fields += ["phases", "phases_text", "registry_ids"]
                model.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})
    Trial = apps.get_model("evidence", "Trial")
    Outcome = apps.get_model("evidence", "Outcome")
    Comparison = apps.get_model("evidence", "Comparison")
    for trial in Trial.objects.all().iterator():
        for outcome in trial.document["outcomes"]:
            row = Outcome.objects.filter(trial=trial, key=outcome["key"])
            timepoint = outcome["timepoint"] or {}
            row.update(
                dispersion=(outcome["dispersion"] or {}).get("kind") or "",
                timepoint_unit=timepoint.get("unit") or "",
            )
            for comparison in outcome["comparisons"]:
                Comparison.objects.filter(
                    outcome__trial=trial, outcome__key=outcome["key"], key=comparison["key"]
                ).update(p_value_comparator=comparison["p_value_comparator"] or "")


def fill_missing(apps, schema_editor):
    OutcomeValue = apps.get_model("evidence", "OutcomeValue")
    OutcomeValue.objects.filter(not_reached=True).update(missing="not_reached")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [
        # Trials: phases (a list) replace the phase; the setting may be given in words only.
        migrations.RemoveField(model_name="trial", name="phase"),
        migrations.RemoveField(model_name="historicaltrial", name="phase"),
        *(
            op
            for model_name in ("trial", "historicaltrial")
            for op in (
                migrations.AddField(
                    model_name=model_name,
                    name="phases",
                    field=models.JSONField(default=list),
                ),
                migrations.AddField(
                    model_name=model_name,
                    name="phases_text",
                    field=models.CharField(
                        blank=True,
                        db_index=True,
                        help_text='The phases, each between spaces (" 2 3 "), for lookups.',
                        max_length=100,
                    ),
                ),
                migrations.AlterField(
                    model_name=model_name,
                    name="setting",
                    field=models.CharField(blank=True, db_index=True, max_length=60),
                ),
            )
        ),
        # Outcomes.
        migrations.RenameField(model_name="outcome", old_name="label", new_name="title"),
        migrations.AlterField(
            model_name="outcome",
            name="endpoint",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.AddField(
            model_name="outcome", name="type", field=models.CharField(blank=True, max_length=20)
        ),
        migrations.AddField(
            model_name="outcome",
            name="dispersion",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RenameField(
            model_name="outcome", old_name="timepoint_months", new_name="timepoint_value"
        ),
        migrations.AddField(
            model_name="outcome",
            name="timepoint_unit",
            field=models.CharField(blank=True, max_length=10),
        ),
        # Values: a missing reason replaces "not reached"; bounds of any interval.
        migrations.RemoveConstraint(model_name="outcomevalue", name="outcome_value_or_not_reached"),
        migrations.AddField(
            model_name="outcomevalue",
            name="missing",
            field=models.CharField(blank=True, help_text="Why there is no value.", max_length=40),
        ),
        migrations.RunPython(fill_missing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="outcomevalue", name="not_reached"),
        migrations.RenameField(model_name="outcomevalue", old_name="ci_low", new_name="low"),
        migrations.RenameField(model_name="outcomevalue", old_name="ci_high", new_name="high"),
        migrations.AddField(
            model_name="outcomevalue",
            name="spread",
            field=models.FloatField(help_text="SD or SE.", null=True),
        ),
        migrations.AddConstraint(
            model_name="outcomevalue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("missing", ""), _negated=True),
                    ("value__isnull", False),
                    _negated=True,
                ),
                name="outcome_value_or_missing",
            ),
        ),
        # Comparisons.
        migrations.AlterField(
            model_name="comparison",
            name="unit",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="comparison",
            name="p_value_comparator",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.RunPython(upcast_documents, migrations.RunPython.noop),
    ]
