"""API authentication: tokens from a username and password, token checks, logging out.

Tokens are django-rest-knox's: only a hash is stored, each login gets a new token, and it
expires ``API_TOKEN_TTL_HOURS`` after the login (``REST_KNOX`` in the settings). Changing a
password revokes every token of that user (``curation.accounts``). A failed login counts
towards django-axes' lockout; a locked-out login is answered by
``curation.accounts.lockout_response`` (429 in the API's error shape).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence.api.serializers import error_responses

from .authentication import TokenAuthentication
from .parsers import LimitedJSONParser
from .serializers import StrictCharField, StrictSerializer


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of our token check (`Authorization: Token <token>`)."""

    target_class = "curation.api.authentication.TokenAuthentication"
    name = "tokenAuth"  # the name the schema has always used


# Token first: its WWW-Authenticate header is what makes "not logged in" a 401, not a 403.
AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class InvalidCredentials(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    default_detail = "unable to log in with the username and password given"


class TokenRequestSerializer(StrictSerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=1000, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as the header `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(
        help_text="When the token stops working (API_TOKEN_TTL_HOURS after the login)."
    )


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token that expires (see `expiry`)."""

    authentication_classes: list = []  # a login needs no session, hence no CSRF token
    permission_classes = [AllowAny]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 413, 415, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: django-axes marks a lockout on the request it is
        # given, and its middleware (which answers with the lockout) only sees Django's.
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials()
        instance, token = AuthToken.objects.create(user=user)
        # As a login does: last_login, and django-axes forgets this client's failures.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class _TokenOnly:
    """Logging out is about the token the request was made with: token authentication only."""

    authentication_classes = [TokenAuthentication]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **error_responses(401, 429)})
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutView(_TokenOnly, knox_views.LogoutView):
    """Revoke the token this request was made with."""


class LogoutAllView(_TokenOnly, knox_views.LogoutAllView):
    """Revoke every token of the user this request was made as."""
