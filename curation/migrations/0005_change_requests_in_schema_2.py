"""Open and decided change requests hold their documents in the current schema version.

Events keep the documents they were recorded with (readers upcast them); a change request is a
workflow object whose documents the services compare, merge and approve, so its documents are
upcast here, once, like any data migration. The workflow triggers refuse such an update, so
they are lifted for this migration alone and put back as they were.
"""

from django.db import migrations

from evidence.documents import UpcastError
from evidence.documents.upcasting import convert, upcast

from . import _workflow_triggers


def _upcast(record_type: str, document):
    try:
        return upcast(record_type, document)
    except UpcastError:
        # A proposal that no longer fits (a draft, say) keeps its converted fields for its
        # author to mend; validation names what is wrong when it is next saved or submitted.
        return convert(record_type, document)


def forwards(apps, schema_editor):
    ChangeRequest = apps.get_model("curation", "ChangeRequest")
    connection = schema_editor.connection
    _workflow_triggers.uninstall(connection)
    try:
        for cr in ChangeRequest.objects.all().iterator():
            document = _upcast(cr.record_type, cr.document)
            base_document = _upcast(cr.record_type, cr.base_document)
            if document != cr.document or base_document != cr.base_document:
                cr.document, cr.base_document = document, base_document
                cr.save(update_fields=["document", "base_document"])
    finally:
        _workflow_triggers.install(connection)


class Migration(migrations.Migration):
    dependencies = [("curation", "0004_change_request_invariants")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
