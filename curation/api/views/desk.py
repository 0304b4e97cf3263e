"""The reviewer's desk in the API: claiming a change request (mixed into the change request
routes: ``/change-requests/<id>/claim/`` and ``/unclaim/``) and one's own notification
settings (``/notification-preferences/``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from curation import notifications, services
from evidence.api.serializers import WRITE_ERRORS, error_responses

from .. import serializers as api_serializers
from ..permissions import TakesPartInCuration
from .base import ApiView, validated


class ClaimSerializer(api_serializers.StrictSerializer):
    take_over = api_serializers.StrictBooleanField(
        required=False,
        default=False,
        help_text="Take the request over from the reviewer who claimed it (who is told).",
    )


class ClaimRoutes:
    """Mixed into ChangeRequestViewSet: its ``_pk`` and ``detail_response``."""

    @extend_schema(
        request=ClaimSerializer,
        responses={200: api_serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim the request: it is in review by you, and other reviewers cannot decide on it
        without taking it over. Reviewers only, never your own request; a request claimed by
        someone else needs ``take_over``."""
        pk = self._pk()
        data = validated(ClaimSerializer, request.data)
        services.claim(pk, user=request.user, take_over=data["take_over"])
        return self.detail_response(pk)

    @extend_schema(
        request=None,
        responses={200: api_serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        """Give up your claim: the request waits for any reviewer again."""
        pk = self._pk()
        if request.data:
            validated(api_serializers.StrictSerializer, request.data)
        services.unclaim(pk, user=request.user)
        return self.detail_response(pk)


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(notifications.KINDS))
    label = serializers.CharField()
    who = serializers.CharField(help_text="Who gets this kind.")
    enabled = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True)


class PreferencesUpdateSerializer(api_serializers.StrictSerializer):
    preferences = serializers.DictField(
        child=serializers.JSONField(),
        help_text='Kinds to turn on (true) or off (false), e.g. {"submitted": false}.',
    )


class NotificationPreferencesView(ApiView):
    """Your own notifications: which kinds are e-mailed to you. Editors and reviewers."""

    permission_classes = [TakesPartInCuration]

    @extend_schema(responses={200: PreferencesSerializer, **error_responses(401, 403, 429)})
    def get(self, request):
        return Response({"preferences": notifications.preferences_of(request.user)})

    @extend_schema(
        request=PreferencesUpdateSerializer,
        responses={200: PreferencesSerializer, **WRITE_ERRORS},
    )
    def patch(self, request):
        """Turn kinds on or off; an unknown kind is refused (400) naming it."""
        data = validated(PreferencesUpdateSerializer, request.data)
        preferences = notifications.set_preferences(request.user, dict(data["preferences"]))
        return Response({"preferences": preferences})
