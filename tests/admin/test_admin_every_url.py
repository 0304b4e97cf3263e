"""Every URL the admin registers, posted to by everyone: nothing changes outside the services.

The test walks ``admin.site.get_urls()`` recursively, so a URL added later (another app's
admin, a new custom view) is walked without being named here. Each URL gets real ids of
existing rows (historical rows for the version pages); it is posted to as anonymous, editor,
reviewer and superuser, with what its page's form sends (as shown, and every value changed)
and with a model form's fields of the row changed (for a change request: author, status,
document and base swapped). Before and after each POST every table of the evidence, curation
and publishing apps (their simple-history tables included) is read whole and compared.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver

from curation import services
from curation.models import ChangeRequest, Event, Notification, NotificationPreference
from curation.seed import seed_accounts
from publishing.models import Release, Snapshot
from tests import documents
from tests.conftest import api_token
from tests.factories import create_approved

from .html_form import submitted_data
from .tamper import (
    SERVICE_APPS,
    assert_chain_intact,
    differences,
    digests,
    fingerprint,
    model_form_data,
    tables,
)

pytestmark = pytest.mark.django_db

# The admin's own service callers: the proposal form (records' add and change pages), the
# change request's review, edit and claim pages, and one's notification settings. A POST
# there may write, but only what the services write for the one posting: their own change
# request, its history, its review steps and claim, the notifications of those steps, and
# their own notification settings.
SERVICE_ROUTES = re.compile(
    r"^admin:(evidence_\w+_(add|change)|curation_changerequest_(change|edit|claim)"
    r"|notification-preferences)$"
)
SERVICE_WRITES = {
    "curation_changerequest",
    "curation_historicalchangerequest",
    "curation_review",
    "curation_notification",
    "curation_notificationpreference",
}
HISTORY_URL = "^([^/]+)/history/([^/]+)/$"


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix, str(pattern.pattern), pattern.name


def model_at(prefix: str):
    if prefix.count("/") != 2:
        return None
    app_label, model_name, _ = prefix.split("/")
    return apps.get_model(app_label, model_name)


def url_id(model_admin, obj, request) -> str:
    """The id the admin's URLs use for ``obj`` (DRF's token admin uses the user's id)."""
    candidates = [obj.pk] + [
        getattr(obj, f.attname) for f in obj._meta.fields if f.is_relation and f.many_to_one
    ]
    for candidate in candidates:
        if model_admin.get_object(request, quote(str(candidate))) == obj:
            return quote(str(candidate))
    raise AssertionError(f"no admin URL id for {obj!r}")


def objects_for(model, walkers):
    """The rows a URL of ``model`` is walked with: every change request (one per state), one
    row of anything else; for users a bystander, so that a superuser's legitimate deletion of
    the row does not log out one of the walkers."""
    queryset = model._default_manager.order_by("pk")
    if model is get_user_model():
        queryset = queryset.exclude(pk__in=[u.pk for u in walkers])
    rows = list(queryset) if model is ChangeRequest else list(queryset[:1])
    assert rows, f"no {model._meta.label} to walk its URLs with: add one to the fixture"
    return rows


def urls_to_walk(superuser, walkers):
    """(url, route name, row or None) for every URL pattern of the admin, ids filled in."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    found = []
    for prefix, route, name in walk(admin.site.get_urls()):
        full_name = f"admin:{name}" if name else f"admin:{prefix}{route}"
        model = model_at(prefix)
        if model is not None and ("<" in route or route == HISTORY_URL):
            model_admin = admin.site._registry[model]
            for obj in objects_for(model, walkers):
                object_id = url_id(model_admin, obj, request)
                if route == HISTORY_URL:
                    versions = obj.history.order_by("history_id")
                    for version in (versions.first(), versions.last()):
                        url = f"/admin/{prefix}{object_id}/history/{version.history_id}/"
                        found.append((url, full_name, obj))
                else:
                    filled = route.replace("<path:object_id>", object_id).replace("<id>", object_id)
                    assert "<" not in filled, route
                    found.append((f"/admin/{prefix}{filled}", full_name, obj))
        elif route.startswith("r/<path:content_type_id>"):
            change_request = ChangeRequest.objects.order_by("pk").first()
            content_type = ContentType.objects.get_for_model(ChangeRequest)
            found.append((f"/admin/r/{content_type.pk}/{change_request.pk}/", full_name, None))
        elif route.startswith("^(?P<app_label>"):
            for app_label in re.search(r"\((?:\?P<app_label>)([^)]*)\)", route)[1].split("|"):
                found.append((f"/admin/{app_label}/", full_name, None))
        elif route == "(?P<url>.*)$":
            found.append(("/admin/no-such-page/", full_name, None))
        else:
            assert "<" not in route and "(" not in route, f"fill in the ids of {route}"
            found.append((f"/admin/{prefix}{route}", full_name, model))
    return found


def changed(data) -> dict[str, list[str]]:
    """Every value of a form changed the way an editor's typing would change it."""
    result = {}
    for name in data:
        values = data.getlist(name)
        if name == "csrfmiddlewaretoken" or name.endswith(("TOTAL_FORMS", "INITIAL_FORMS")):
            result[name] = values
        else:
            result[name] = [f"{value}1" for value in values]
    return result


def tampered(obj, users) -> dict:
    """A model form's POST for ``obj`` with what an attacker would change."""
    if obj is None or isinstance(obj, type):
        return {}  # a URL of no particular row (a changelist, an add page)
    if isinstance(obj, ChangeRequest):
        document = copy.deepcopy(obj.document or documents.myeloma_xi())
        document["summary"] = "Swapped in through the admin."
        other = next(u for u in users if u.pk != obj.author_id)
        return model_form_data(
            obj,
            author=other.pk,
            status=ChangeRequest.Status.SUBMITTED
            if obj.status != ChangeRequest.Status.SUBMITTED
            else ChangeRequest.Status.APPROVED,
            document=document,
            base_version=obj.base_version + 1,
            rationale="Rewritten.",
        )
    changes = {}
    if "document" in {f.name for f in obj._meta.fields} and obj.document:
        document = copy.deepcopy(obj.document)
        document["summary"] = "Rewritten without review."
        changes["document"] = document
    if hasattr(obj, "version"):
        changes["version"] = obj.version + 1
    return model_form_data(obj, **changes)


def account_tables() -> list[str]:
    """Tables of every app with a registered admin that is not one of the service apps: users,
    groups, permissions and API tokens today, knox's tokens tomorrow."""
    labels = {model._meta.app_label for model in admin.site._registry} - set(SERVICE_APPS)
    # django-axes records every login attempt, failed or not (force_login included): those
    # rows are written by the login machinery by design, not by the page posted to.
    return tables(sorted(labels - {"axes"}))


@pytest.fixture
def walked_rows(admin_trials, editor, editor2, reviewer, superuser):
    """A change request in each state, a snapshot and its release, an import batch, an API
    token and a bystander account."""
    xi = admin_trials["myeloma_xi"]
    create_approved(*seed_accounts(), "topic", documents.article_topic())

    def propose(user, summary):
        document = documents.myeloma_xi()
        document["summary"] = summary
        return services.propose(
            user=user,
            record_type="trial",
            action="revise",
            record=xi.slug,
            base_version=xi.version,
            document=document,
            rationale=summary,
        )

    propose(editor, "Waiting for review.")
    sent_back = propose(editor, "Sent back.")
    services.request_changes(sent_back, user=reviewer, comment="Cite it.")
    services.withdraw(propose(editor2, "Withdrawn."), user=editor2)
    services.approve(propose(editor, "Approved."), user=reviewer)
    # A snapshot row as the publishing tests create them (no files needed for the admin).
    snapshot = Snapshot.objects.create(seq=1, position=Event.objects.count())
    # A release of it, made as publishing.releases makes them (its page is read-only).
    Release.objects.create(
        name="2026-12",
        snapshot=snapshot,
        position=snapshot.position,
        notes={"counts": {"added": 0, "revised": 1, "retracted": 0}, "changes": []},
        created_by=superuser,
    )
    # An import batch with a failure (its page lists failures), run in this process.
    from curation.imports import batches

    raw = b'[{"protocolSection": {}}, {"not": "a study"}]'
    batch = batches.start_batch(
        user=editor, kind="ctgov", raw=raw, filename="b.json", enqueue=False
    )
    batches.run_batch(batch.pk)
    # An outbox row (the walkers have no e-mail address, so no step wrote one).
    Notification.objects.create(
        kind="approved", recipient=editor, to_address="e@example.org", subject="s", body="b"
    )
    bystander = get_user_model().objects.create_user("bystander", password="pw-bystander")
    api_token(bystander)  # a knox token: its admin pages are walked too
    # django-axes's login records (lockouts), whose admin pages are walked too.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {"username": "bystander", "ip_address": "127.0.0.1", "user_agent": "test"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen, locked_out=False)
    AccessLog.objects.create(**seen)


def test_no_admin_url_writes_outside_the_services(
    client, walked_rows, editor, editor2, reviewer, superuser
):
    walkers = [editor, reviewer, superuser]
    urls = urls_to_walk(superuser, walkers)
    assert len(urls) >= 70  # every model's URLs, the version pages and the site's own
    service_tables = tables()
    accounts = account_tables()
    assert "auth_user" in accounts and "curation_historicalchangerequest" in service_tables
    users = [editor, editor2, reviewer, superuser]
    failures = []
    for who in (None, editor, reviewer, superuser):  # superuser last: may delete accounts
        # Superusers manage accounts (ordinary administration), so their changes to users,
        # groups and tokens are legitimate and left out; nobody else may change those.
        watched = service_tables if who is superuser else service_tables + accounts
        for url, name, obj in urls:
            page_data = None
            if who is not None:
                client.force_login(who)
            page = client.get(url)
            if page.status_code == 200 and b'method="post"' in page.content:
                page_data = submitted_data(page.content)
            posts = [tampered(obj, users)]
            if page_data is not None:
                posts += [{k: page_data.getlist(k) for k in page_data}, changed(page_data)]
            if name.endswith("_changelist") and obj is not None:
                rows = list(obj._default_manager.values_list("pk", flat=True)[:3])
                posts.append({"action": "delete_selected", "_selected_action": rows, "post": "yes"})
            # A service route may write its own rows, which ``legitimate`` checks row by row;
            # anywhere else any change is a failure, and a digest per table tells it.
            snapshot = fingerprint if who is not None and SERVICE_ROUTES.match(name) else digests
            for data in posts:
                if who is not None:
                    client.force_login(who)
                before = snapshot(watched)
                response = client.post(url, data)
                after = snapshot(watched)
                if response.status_code >= 500:
                    failures.append((who, url, "status", response.status_code))
                if before != after and not legitimate(name, who, before, after):
                    failures.append((who, url, differences(before, after)))
    assert failures == []
    assert_chain_intact()


def legitimate(name: str, who, before: dict, after: dict) -> bool:
    """A service route's write: only the poster's own change requests and their steps."""
    if who is None or not SERVICE_ROUTES.match(name):
        return False
    touched = set(differences(before, after))
    if not touched <= SERVICE_WRITES:
        return False
    new_rows = set(after["curation_changerequest"]) - set(before["curation_changerequest"])
    for row in new_rows:
        cr = ChangeRequest.objects.get(pk=int(row[0]))
        if cr.author_id != who.pk or cr.history.first().history_user_id != who.pk:
            return False
    before_prefs = set(before["curation_notificationpreference"])
    for row in set(after["curation_notificationpreference"]) - before_prefs:
        if NotificationPreference.objects.get(pk=int(row[0])).user_id != who.pk:
            return False
    return True


def test_accounts_are_for_superusers_even_with_a_granted_auth_permission(client, reviewer, editor):
    """Whoever may edit accounts may put themselves in the Reviewers group: a reviewer given
    every auth permission by mistake still cannot open, let alone change, an account."""
    from django.contrib.auth.models import Group, Permission

    reviewer.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))
    reviewer = get_user_model().objects.get(pk=reviewer.pk)  # drop the permission cache
    assert reviewer.has_perm("auth.change_user")
    client.force_login(reviewer)
    editors = Group.objects.get(name="Editors")
    before = fingerprint(account_tables())
    url = f"/admin/auth/user/{editor.pk}/change/"
    assert client.get(url).status_code == 403
    data = model_form_data(editor, groups=[editors, Group.objects.get(name="Reviewers")])
    assert client.post(url, data).status_code == 403
    assert client.post("/admin/auth/group/add/", {"name": "Approvers"}).status_code == 403
    shown = {app["app_label"] for app in client.get("/admin/").context["available_apps"]}
    assert "auth" not in shown and "evidence" in shown
    assert fingerprint(account_tables()) == before
    assert not editor.groups.filter(name="Reviewers").exists()


def test_a_digest_sees_any_change_to_any_row(walked_rows):
    """The walk compares digests outside the service routes: they must see an edit of one
    column of one row, a new row and a deleted row, as reading the rows whole does."""
    watched = tables()
    before = digests(watched)
    assert before == digests(watched)
    outbox = Notification.objects.order_by("pk").first()
    Notification.objects.filter(pk=outbox.pk).update(subject=outbox.subject + ".")
    assert differences(before, digests(watched)) == {"curation_notification": "changed"}
    edited = digests(watched)
    NotificationPreference.objects.create(user=outbox.recipient, kind="approved", enabled=False)
    assert set(differences(edited, digests(watched))) == {"curation_notificationpreference"}
    added = digests(watched)
    Notification.objects.all().delete()
    assert set(differences(added, digests(watched))) == {"curation_notification"}
