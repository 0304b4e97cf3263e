"""Template tags of the curation admin."""

from __future__ import annotations

from django import template

from curation import selectors

register = template.Library()


@register.inclusion_tag("admin/_queue_summary.html", takes_context=True)
def queue_summary(context):
    """The review queue's count and the published site's address, for the admin index."""
    return {
        "waiting": selectors.waiting_for_review_count(),
        "site_url": context.get("site_url") or "/published/latest/",
    }
