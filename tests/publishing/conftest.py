import pytest
from django.test import Client

from publishing import services
from tests.factories import seed_corpus

# The alias tests give Django's in-memory storage: a backend with no filesystem behind it, so
# storage mode passing proves that it reads and writes only through the storage API.
STORAGE_ALIAS = "test-snapshots"


@pytest.fixture
def snapshot_root(settings, tmp_path):
    settings.SNAPSHOT_ROOT = tmp_path / "snapshots"
    settings.VAR_DIR = tmp_path / "var"
    return settings.SNAPSHOT_ROOT


@pytest.fixture(params=["filesystem", "storage"])
def snapshot_mode(request, settings, snapshot_root):
    """Where snapshots are published: SNAPSHOT_ROOT (default) or a Django storage."""
    if request.param == "storage":
        settings.STORAGES = {
            **settings.STORAGES,
            STORAGE_ALIAS: {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
        settings.SNAPSHOT_STORAGE = STORAGE_ALIAS
    yield request.param
    if request.param == "storage":
        assert not snapshot_root.exists(), "storage mode touched SNAPSHOT_ROOT"


@pytest.fixture
def small_corpus(editor, reviewer, snapshot_mode):
    """A Drugex citation and intervention, two trials and a topic, all approved (not yet
    published), in each snapshot mode; returns the topic's event (the newest position)."""
    return seed_corpus(editor, reviewer, trials=("trial-one", "trial-two"))


@pytest.fixture(params=["anonymous", "logged-in"])
def fhir_client(request, db, editor):
    """The FHIR API is public like /published/: every test runs as an anonymous visitor and as
    a logged-in user. CSRF checks on, so a refused write proves the view answers it (405),
    not Django's CSRF page."""
    client = Client(enforce_csrf_checks=True)
    if request.param == "logged-in":
        client.force_login(editor)
    return client


@pytest.fixture
def published_corpus(editor, reviewer, snapshot_root):
    """``small_corpus`` (two Drugex trials, their citation, intervention and topic) published
    on the filesystem; returns the snapshot."""
    seed_corpus(editor, reviewer, trials=("trial-one", "trial-two"))
    return services.publish_latest()
