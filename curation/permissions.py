"""The Editors and Reviewers groups and what they may do."""

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
REVIEWERS = "Reviewers"

_VIEW_EVIDENCE = [
    ("evidence", "view_topic"),
    ("evidence", "view_intervention"),
    ("evidence", "view_citation"),
    ("evidence", "view_trial"),
    ("curation", "view_changerequest"),
    ("curation", "view_event"),
    ("curation", "view_importbatch"),
]
GROUP_PERMISSIONS = {
    EDITORS: [("curation", "propose_change"), *_VIEW_EVIDENCE],
    REVIEWERS: [("curation", "review_change"), *_VIEW_EVIDENCE],
}


def ensure_groups() -> dict[str, Group]:
    """Create or update the groups; idempotent (runs after every migrate)."""
    groups = {}
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in perms
        ]
        group.permissions.set(wanted)
        groups[name] = group
    return groups
