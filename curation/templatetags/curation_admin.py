"""Template tags of the curation admin."""

from __future__ import annotations

from django import template

from curation import desk_selectors

register = template.Library()


@register.inclusion_tag("admin/_queue_summary.html", takes_context=True)
def queue_summary(context):
    """The review queue's count and the published site's address, for the admin index."""
    return {
        "waiting": desk_selectors.waiting_for_review().count(),
        "site_url": context.get("site_url") or "/published/latest/",
    }
