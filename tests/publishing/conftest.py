import pytest

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
