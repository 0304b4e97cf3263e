import pytest

from tests.publishing.factories import seed_small


@pytest.fixture
def snapshot_root(settings, tmp_path):
    settings.SNAPSHOT_ROOT = tmp_path / "snapshots"
    return settings.SNAPSHOT_ROOT


@pytest.fixture
def evidence(editor, reviewer, snapshot_root):
    """A citation, an intervention, two trials and a topic, all approved."""
    return seed_small(editor, reviewer, trials=("trial-one", "trial-two"))
