"""Evidence in from where it is published: registry documents to change requests.

- ``fetch``: HTTP fetches from a registry's API (timeouts, retries with backoff, size limit,
  clear errors when offline, timed out or not found);
- ``sources``: reading a source document (size, JSON), storing it once by content
  (``SourceDocument``) and linking it to the change request it became (``ImportedSource``);
- ``registry_text``: the registry's strings (Markdown escapes, numbers, p-values, why an NA is
  missing) and the keys of imported items;
- ``ctgov`` (with ``ctgov_groups``, ``ctgov_results``, ``ctgov_analyses``): a v2 study ->
  a trial document and warnings for the reviewer (pure, no database);
- ``provenance``: the registry's value beside each proposed value, for the reviewer;
- ``reimport``: only what the registry changed, applied to the record as it is now;
- ``services``: ``import_ctgov_study``, the one entry point of the command, the API and the
  admin;
- ``citation_formats``: PubMed XML, RIS, BibTeX and CSL-JSON -> references (pure);
  ``citation_services``: ``import_citations``, references to citation change requests
  (duplicates by DOI, PMID or title + year + first author become revisions);
- ``batch_files``, ``batches``: a file of many records read into items and run by workers in
  parts, with progress; ``batch_chunks``: a part's items a chunk at a time, each chunk one
  transaction (``study_reads``: a chunk's reads at once; ``study_writes``: its writes at once,
  through ``curation.bulk``);
- ``errors``: why an import is refused.
"""
