"""Bad input to the admin is a 404 or a 400 with a reason, never a 500 (issue 9).

Generic over ``admin.site._registry``: every registered admin, ours or another app's, is
checked, so an admin added later is covered without being named here. Run on SQLite and on
PostgreSQL (where a NUL in a text parameter used to fail the query).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .conftest import messages_of

pytestmark = pytest.mark.django_db

BAD_IDS = ["not-a-uuid", "9" * 5000, "²", "%00", "%01", "1%00"]


def admin_url(model, suffix: str) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


@pytest.fixture
def logged_in(client, superuser, admin_trials):
    client.force_login(superuser)  # sees every admin: nothing is hidden behind a 403
    return client


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_in_history_urls_are_404(logged_in, admin_trials, bad):
    history_admins = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    ]
    assert len(history_admins) >= 5
    for model, _ in history_admins:
        real = model.objects.order_by("pk").first()
        good_id = str(real.pk) if real else "1"
        good_version = str(real.history.first().history_id) if real else "1"
        for suffix in (
            f"{bad}/history/",
            f"{bad}/history/{bad}/",
            f"{bad}/history/{good_version}/",
            f"{good_id}/history/{bad}/",
        ):
            url = admin_url(model, suffix)
            assert logged_in.get(url).status_code == 404, url
            assert logged_in.post(url, {"document": "{}"}).status_code in (404, 405), url


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_in_object_urls_never_fail(logged_in, bad):
    for model in admin.site._registry:
        for suffix in (f"{bad}/change/", f"{bad}/delete/", f"{bad}/history/"):
            url = admin_url(model, suffix)
            response = logged_in.get(url, follow=True)
            # Django's own views redirect to the index with "doesn't exist", history is a 404,
            # and deleting what nobody may delete is a 403 before the id is looked at.
            assert response.status_code in (200, 403, 404), (url, response.status_code)
            if response.status_code == 200:
                assert any("exist" in m for m in messages_of(response)), url


def changelist_parameters(client, model) -> list[str]:
    """The query parameters of every list filter, and the search box, of a changelist."""
    response = client.get(admin_url(model, ""))
    assert response.status_code == 200, model
    changelist = response.context["cl"]
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if changelist.search_fields:
        names.append("q")
    return names


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x1f", "ok\x7f"])
def test_control_characters_in_filters_and_searches_are_refused(logged_in, value):
    checked = 0
    for model in admin.site._registry:
        # Every filter and the search box, and a lookup on a field no filter offers (the admin
        # accepts any field of the model in the query string, e.g. the events link's stream_id).
        field = next(f.name for f in model._meta.fields if f.get_internal_type() == "CharField")
        for name in [*changelist_parameters(logged_in, model), field]:
            url = admin_url(model, "")
            response = logged_in.get(url, {name: value})
            assert response.status_code == 400, (url, name)
            assert b"control character" in response.content
            checked += 1
    assert checked >= 20  # every changelist has filters or a search box to check


def test_trial_setting_filter_with_nul_is_refused_with_a_reason(logged_in):
    response = logged_in.get("/admin/evidence/trial/", {"setting": "\x00"})
    assert response.status_code == 400
    assert "“setting” holds a control character" in response.content.decode()
    # The same filter with a real value still works.
    ok = logged_in.get("/admin/evidence/trial/", {"setting": "post_autologous_transplant"})
    assert ok.status_code == 200


def test_searches_outside_the_changelist_ignore_control_characters(rf, superuser, admin_trials):
    """The autocomplete view searches through get_search_results without the changelist's
    check: a NUL there finds nothing instead of failing the query."""
    request = rf.get("/admin/autocomplete/")
    request.user = superuser
    searched = 0
    for model, model_admin in admin.site._registry.items():
        if not model_admin.get_search_fields(request):
            continue
        queryset = model_admin.get_queryset(request)
        if not queryset.exists():
            continue  # "nothing found" would mean nothing
        found, _ = model_admin.get_search_results(request, queryset, "x\x00")
        assert list(found) == [], model
        searched += 1
    assert searched >= 5
