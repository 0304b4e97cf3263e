"""A read-only FHIR R5 REST API over the latest snapshot, at ``/fhir/R5/``.

Plain Django views (FHIR has its own formats, errors and paging, so not DRF):

- ``views``: the routes (metadata, read, vread, history-instance, search-type); thin;
- ``reads``: what they read: the latest snapshot's FHIR files and bundle, and a resource's
  earlier versions, mapped again from the event log (through ``curation.selectors``);
- ``search``: the supported search parameters, parsed strictly (an unsupported one is an
  error, never ignored) and matched against resources;
- ``bundles``: the ``history`` and ``searchset`` Bundles (paging links);
- ``responses``: ``application/fhir+json`` answers, content negotiation, ETags and 304, and
  every error as an ``OperationOutcome``;
- ``capability``: the CapabilityStatement, made from the same tables the views obey.
"""
