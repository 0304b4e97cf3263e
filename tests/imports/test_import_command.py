"""manage.py import_ctgov <file or NCT id> --as <username> [--submit] [--map GROUP=ARM ...]"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from curation.models import ChangeRequest

from .helpers import row_counts
from .studies import CERTOLIZUMAB, CERTOLIZUMAB_MAP, REMDESIVIR, fixture_path, small_study

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_ctgov", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_file_with_a_mapping_and_submit(editor):
    out, err = run(
        str(fixture_path(REMDESIVIR)), "--as", "editor", "--map", "OG004=arm-5", "--submit"
    )
    cr = ChangeRequest.objects.get()
    assert out.splitlines()[-1] == f"change request {cr.pk}"
    assert cr.status == "submitted" and cr.author == editor
    assert "warning: the registry gives no setting" in err


def test_mapping_by_titles_with_new_arms(editor):
    maps = [arg for title, arm in CERTOLIZUMAB_MAP.items() for arg in ("--map", f"{title}={arm}")]
    out, _ = run(str(fixture_path(CERTOLIZUMAB)), "--as", "editor", *maps)
    cr = ChangeRequest.objects.get()
    assert out.endswith(f"change request {cr.pk}\n") and cr.status == "draft"
    assert [a["key"] for a in cr.document["arms"]] == [
        "arm-1",
        "arm-2",
        "placebo-to-czp",
        "czp-to-czp",
        "sfe-czp",
    ]


def test_nct_id_fetched(editor, registry):
    registry.add("NCT00000001", small_study())
    out, _ = run("NCT00000001", "--as", "editor")
    assert out.endswith(f"change request {ChangeRequest.objects.get().pk}\n")


@pytest.mark.parametrize(
    "args, words",
    [
        ((str(fixture_path(REMDESIVIR)), "--as", "editor"), "OG004 “RDV,Cohort 5"),
        ((str(fixture_path(REMDESIVIR)), "--as", "nobody"), "no user 'nobody'"),
        ((str(fixture_path(REMDESIVIR)), "--as", "reviewer"), "only members of the Editors group"),
        (("no-such-file.json", "--as", "editor"), "no such file, and not an NCT id"),
        ((str(fixture_path(REMDESIVIR)), "--as", "editor", "--map", "OG004"), "write GROUP=ARM"),
        (("NCT09999999", "--as", "editor"), "does not know it"),
    ],
)
def test_refusals_name_the_problem_and_write_nothing(editor, reviewer, registry, args, words):
    before = row_counts()
    with pytest.raises(CommandError, match=words):
        run(*args)
    assert row_counts() == before


def test_not_json_names_the_file(editor, tmp_path):
    bad = tmp_path / "study.json"
    bad.write_text("{oops")
    with pytest.raises(CommandError, match=rf"{bad} is not JSON: \(document\): line 1 column 2"):
        run(str(bad), "--as", "editor")
