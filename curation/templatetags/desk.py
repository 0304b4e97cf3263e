"""The admin index's dashboard reads its data through this tag (``curation.selectors``)."""

from django import template

from curation import desk_selectors

register = template.Library()


@register.simple_tag
def desk_dashboard(user):
    """What waits for whom, for ``user``; nothing for someone who takes no part."""
    return desk_selectors.dashboard(user)
