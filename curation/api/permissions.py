"""Who may reach which endpoint. Coarse gates only: the services decide every action.

Anonymous users may read published evidence and the changes feed (those views only answer
GET, so AllowAny lets any other method reach its 405). Change requests are
internal working material: only people who take part in curation (editors and reviewers, as
``curation.services`` defines them) may read them. Whether a given user may propose, approve,
reject, ... is decided by ``curation.services`` when the action runs; its refusal comes back as
a 403 with the reason.
"""

from rest_framework.permissions import BasePermission

from curation import services


class TakesPartInCuration(BasePermission):
    """Logged in, and an editor or a reviewer (superusers are both)."""

    message = "only editors and reviewers may use change requests"

    def has_permission(self, request, view) -> bool:
        return services.takes_part(request.user)
