"""A deterministic generator of realistic synthetic evidence, and a fast bulk loader.

``generate_dataset(n_trials, seed)`` yields ``(record_type, document)`` pairs in load order
(citations, interventions, trials, topics); every document passes ``validate_document``, and
the same arguments always give the same documents. The numbers are synthetic and only look
like trial results: they exist to exercise the pipeline at scale, never to be read as evidence.

``load_dataset(n_trials, ...)`` appends one ``created`` event per record through the real event
store and projection, in batched transactions, proposed and approved by two bench users.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

DRUGS = [
    ("lenalidomide", "Revlimid (lenalidomide)", "lenalidomide", ["Revlimid"], "immunomodulator"),
    ("bortezomib", "Velcade (bortezomib)", "bortezomib", ["Velcade"], "proteasome inhibitor"),
    ("ixazomib", "Ninlaro (ixazomib)", "ixazomib", ["Ninlaro"], "proteasome inhibitor"),
    ("carfilzomib", "Kyprolis (carfilzomib)", "carfilzomib", ["Kyprolis"], "proteasome inhibitor"),
    ("thalidomide", "Thalomid (thalidomide)", "thalidomide", ["Thalomid"], "immunomodulator"),
    ("pomalidomide", "Pomalyst (pomalidomide)", "pomalidomide", ["Pomalyst"], "immunomodulator"),
    ("daratumumab", "Darzalex (daratumumab)", "daratumumab", ["Darzalex"], "anti-CD38 antibody"),
    ("elotuzumab", "Empliciti (elotuzumab)", "elotuzumab", ["Empliciti"], "anti-SLAMF7 antibody"),
    ("dexamethasone", "dexamethasone", "dexamethasone", [], "corticosteroid"),
    ("prednisone", "prednisone", "prednisone", [], "corticosteroid"),
    ("melphalan", "melphalan", "melphalan", ["Alkeran"], "alkylating agent"),
    ("interferon", "interferon alfa", "interferon alfa", [], "cytokine"),
    ("placebo", "placebo", "placebo", [], None),
]
SETTINGS = [
    "post_autologous_transplant",
    "transplant_ineligible",
    "newly_diagnosed_mixed",
    "induction_and_maintenance",
    "relapsed",
]
SETTING_HEADINGS = {
    "post_autologous_transplant": "after stem-cell transplant",
    "transplant_ineligible": "in patients who cannot have a transplant",
    "newly_diagnosed_mixed": "in newly diagnosed patients",
    "induction_and_maintenance": "as induction and maintenance",
    "relapsed": "after relapse",
}
JOURNALS = [
    "New England Journal of Medicine",
    "Lancet Oncology",
    "Blood",
    "Journal of Clinical Oncology",
]
SURNAMES = [
    "Attal",
    "McCarthy",
    "Palumbo",
    "Jackson",
    "Dimopoulos",
    "Moreau",
    "Kumar",
    "Richardson",
    "Mateos",
    "San Miguel",
    "Sonneveld",
    "Durie",
    "Rajkumar",
    "Lonial",
    "Usmani",
    "Bahlis",
]
TRIALS_PER_TOPIC = 50


def citation_slug(i: int) -> str:
    return f"synthetic-ref-{i:06d}"


def trial_slug(i: int) -> str:
    return f"synthetic-trial-{i:06d}"


def _citation(rng: random.Random, i: int) -> dict[str, Any]:
    first = rng.choice(SURNAMES)
    return {
        "schema_version": 2,
        "slug": citation_slug(i),
        "kind": rng.choice(["article", "article", "article", "abstract"]),
        "title": f"Maintenance therapy after primary treatment of multiple myeloma: study {i}",
        "authors": [f"{first} {chr(65 + i % 26)}", f"{rng.choice(SURNAMES)} B"],
        "authors_et_al": True,
        "journal": rng.choice(JOURNALS),
        "year": 2000 + i % 24,
        "volume": str(100 + i % 300),
        "pages": f"{1000 + i % 900}-{1010 + i % 900}",
        "pmid": str(20_000_000 + i),
        "doi": f"10.1000/synthetic.{i}",
    }


def _intervention(drug: tuple) -> dict[str, Any]:
    slug, name, generic, brands, drug_class = drug
    return {
        "schema_version": 2,
        "slug": slug,
        "name": name,
        "generic_name": generic,
        "brand_names": brands,
        "drug_class": drug_class,
        "route": "oral"
        if slug not in ("daratumumab", "elotuzumab", "carfilzomib")
        else "intravenous",
        "description": f"{name} is used in the treatment of multiple myeloma."
        if slug != "placebo"
        else None,
    }


def _trial(rng: random.Random, i: int, n_citations: int) -> dict[str, Any]:
    drug = rng.choice([d for d in DRUGS if d[0] not in ("placebo", "dexamethasone", "prednisone")])
    control = rng.choice(["placebo", "observation", "lenalidomide"])
    if control == drug[0]:
        control = "placebo"
    enrollment = rng.randrange(120, 1200, 2)
    n_exp = enrollment // 2
    setting = rng.choice(SETTINGS)
    refs = sorted({citation_slug(rng.randrange(n_citations)) for _ in range(rng.randint(1, 3))})
    pfs_control = round(rng.uniform(10, 30), 1)
    pfs_exp = round(pfs_control * rng.uniform(1.1, 2.2), 1)
    hr = round(rng.uniform(0.4, 0.95), 2)
    ci_low, ci_high = round(hr * 0.8, 2), round(min(hr * 1.25, 1.4), 2)
    p = round(rng.uniform(0.0001, 0.2), 4)
    os_not_reached = rng.random() < 0.4
    control_arm_regimen = (
        []
        if control == "observation"
        else [
            {
                "intervention": control,
                "description": f"{control} maintenance",
                "phase": "maintenance",
            }
        ]
    )
    interventions = sorted({drug[0]} | ({control} if control != "observation" else set()))
    return {
        "schema_version": 2,
        "slug": trial_slug(i),
        "name": f"SYN-{i:06d}",
        "full_title": f"A randomised trial of {drug[2]} maintenance versus {control} ({i})",
        "registry_ids": [{"registry": "NCT", "id": f"NCT{90_000_000 + i:08d}"}],
        "phases": [rng.choice(["2", "3", "3"])],
        "design": {
            "allocation": "randomised",
            "masking": "double" if control == "placebo" else "none",
            "placebo_controlled": control == "placebo",
            "multicentre": True,
            "international": rng.random() < 0.5,
        },
        "setting": setting,
        "population": f"{enrollment} adults with multiple myeloma {SETTING_HEADINGS[setting]}.",
        "enrollment": enrollment,
        "median_follow_up_months": rng.randint(18, 80),
        "interventions": interventions,
        "arms": [
            {
                "key": "experimental",
                "label": drug[1],
                "role": "experimental",
                "regimen": [
                    {
                        "intervention": drug[0],
                        "description": f"{drug[2]} maintenance",
                        "phase": "maintenance",
                    }
                ],
                "n": n_exp,
            },
            {
                "key": "control",
                "label": control.capitalize(),
                "role": "placebo"
                if control == "placebo"
                else ("observation" if control == "observation" else "active_comparator"),
                "regimen": control_arm_regimen,
                "n": enrollment - n_exp,
            },
        ],
        "outcomes": [
            {
                "key": "pfs",
                "endpoint": "pfs",
                "title": "median progression-free survival",
                "measure": "median",
                "unit": "months",
                "treatment_phase": "maintenance",
                "values": [
                    {"arm": "experimental", "value": pfs_exp},
                    {"arm": "control", "value": pfs_control},
                ],
                "comparisons": [
                    {
                        "key": "hr",
                        "kind": "hazard_ratio",
                        "arm": "experimental",
                        "reference_arm": "control",
                        "estimate": hr,
                        "unit": "ratio",
                        "ci_low": ci_low,
                        "ci_high": ci_high,
                        "ci_level": 95,
                        "p_value": p,
                        "significant": p < 0.05,
                    }
                ],
                "citations": refs[:1],
            },
            {
                "key": "os",
                "endpoint": "os",
                "title": "median overall survival",
                "measure": "median",
                "unit": "months",
                "values": [
                    {"arm": "experimental", "missing": "not_reached"}
                    if os_not_reached
                    else {"arm": "experimental", "value": round(rng.uniform(50, 110), 1)},
                    {"arm": "control", "value": round(rng.uniform(45, 100), 1)},
                ],
            },
            {
                "key": "spm",
                "endpoint": "second_primary_malignancy",
                "title": "second primary malignancies",
                "measure": "event_count",
                "unit": "count",
                "values": [
                    {"arm": "experimental", "value": rng.randint(5, 40)},
                    {"arm": "control", "value": rng.randint(2, 20)},
                ],
            },
        ],
        "findings": [
            {
                "key": "pfs_longer",
                "statement": (
                    f"Median progression-free survival was {pfs_exp} months with {drug[2]} "
                    f"and {pfs_control} months with {control} (synthetic data)."
                ),
                "kind": "efficacy",
                "outcomes": ["pfs"],
                "citations": refs[:1],
            }
        ],
        "summary": f"Synthetic trial {i}: {drug[2]} maintenance compared with {control}.",
        "citations": refs,
    }


def _topic(
    t: int, trial_slugs: list[str], settings: list[str], citations: list[str]
) -> dict[str, Any]:
    by_setting: dict[str, list[str]] = {}
    for slug, setting in zip(trial_slugs, settings, strict=True):
        by_setting.setdefault(setting, []).append(slug)
    return {
        "schema_version": 2,
        "slug": f"synthetic-topic-{t:04d}",
        "title": f"Maintenance therapy in multiple myeloma, part {t + 1}",
        "condition": "Multiple myeloma",
        "summary": "Synthetic summary of maintenance therapy trials, generated for benchmarks.",
        "sections": [
            {
                "key": setting.replace("_", "-"),
                "heading": f"Maintenance {SETTING_HEADINGS[setting]}",
                "body": ["Synthetic section text for benchmarks."],
                "setting": setting,
                "trials": slugs,
            }
            for setting, slugs in sorted(by_setting.items())
        ],
        "citations": citations,
    }


def generate_dataset(n_trials: int, seed: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """(record_type, document) pairs in load order; deterministic for (n_trials, seed).

    Documents are in canonical form (every field present), exactly as validation returns them.
    """
    from evidence.documents import validate_document

    for record_type, document in _raw_dataset(n_trials, seed):
        yield record_type, validate_document(record_type, document)


def _raw_dataset(n_trials: int, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    n_citations = max(1, n_trials // 2)
    for i in range(n_citations):
        yield "citation", _citation(rng, i)
    for drug in DRUGS:
        yield "intervention", _intervention(drug)
    topic_trials: list[str] = []
    topic_settings: list[str] = []
    topic_citations: set[str] = set()
    topic_index = 0
    for i in range(n_trials):
        trial = _trial(rng, i, n_citations)
        yield "trial", trial
        topic_trials.append(trial["slug"])
        topic_settings.append(trial["setting"])
        topic_citations.update(trial["citations"])
        if len(topic_trials) == TRIALS_PER_TOPIC or i == n_trials - 1:
            yield (
                "topic",
                _topic(topic_index, topic_trials, topic_settings, sorted(topic_citations)),
            )
            topic_index += 1
            topic_trials, topic_settings, topic_citations = [], [], set()


def bench_users():
    """The bench proposer and approver (created on first use, cannot log in)."""
    from django.contrib.auth import get_user_model

    users = []
    for username in ("bench-editor", "bench-reviewer"):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        users.append(user)
    return users


def load_dataset(n_trials: int, seed: int = 0, batch_size: int = 2000) -> dict[str, int]:
    """Append one created event per generated record, projecting each, in batched transactions.

    Goes through the batch path, ``eventstore.Batch`` and ``projection.apply_many`` (no change
    requests: the bench users stand for a proposer and an approver). Returns counts by record
    type.
    """
    from django.db import connection, reset_queries, transaction

    from curation import bulk, eventstore, projection
    from curation.projection.script import Pipeline
    from curation.runtime import cyclic_gc_paused
    from evidence.diff import diff_documents

    proposer, approver = bench_users()
    counts: dict[str, int] = {}
    stream_namespace = uuid.UUID(int=seed)
    batch: list[tuple[str, dict[str, Any]]] = []

    def flush() -> None:
        # The batch path (as ``approve_change_requests`` writes): one lock, one multi-row
        # insert of events, the projection with set-based writes.
        streams = [
            (record_type, uuid.uuid5(stream_namespace, f"{record_type}:{document['slug']}"))
            for record_type, document in batch
        ]
        with transaction.atomic(), eventstore.Batch() as appends:
            bulk.compress_by_lz4()  # as ``approve_change_requests`` writes its documents
            appends.prefetch(streams)  # every stream's version in one query
            for (record_type, document), (_, stream_id) in zip(batch, streams, strict=True):
                event = appends.append(
                    eventstore.NewEvent(
                        stream_type=record_type,
                        stream_id=stream_id,
                        slug=document["slug"],
                        type="created",
                        document=document,
                        changes=diff_documents(None, document),
                        proposer_id=proposer.pk,
                        approver_id=approver.pk,
                        rationale="Synthetic benchmark data",
                    ),
                    expected_version=0,
                )
                event.approver = approver
                counts[record_type] = counts.get(record_type, 0) + 1
            script = Pipeline() if connection.vendor == "postgresql" else None
            appends.flush(script)  # the events first in the projection's round trip
            projection.apply_many(appends.events, script, events_stored=True)
            if script is not None:
                script.run()
        batch.clear()
        # With DEBUG on, Django keeps every statement's text, here megabytes per batch.
        reset_queries()

    with cyclic_gc_paused():  # thousands of acyclic documents per batch, as a batch approval
        for item in generate_dataset(n_trials, seed):
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    return counts
