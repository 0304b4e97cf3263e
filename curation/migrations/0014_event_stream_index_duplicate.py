"""event_stream_idx (stream_type, stream_id, version) repeated the unique constraint
event_stream_version_unique, whose index serves the same lookups: every append wrote both."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("curation", "0013_append_head_function")]
    operations = [migrations.RemoveIndex(model_name="event", name="event_stream_idx")]
