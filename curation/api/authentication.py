"""The API's token check (kept apart from the views: REST_FRAMEWORK's default authentication
classes are imported while DRF's views module is still loading, so this module must not
import views)."""

from __future__ import annotations

from knox import auth as knox_auth
from rest_framework import exceptions

from curation.accounts import refused_in_production


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token check (hashed, expiring tokens; `Authorization: Token <token>`), plus the
    rule that production refuses demo accounts: a token issued before the switch stops
    working."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        if refused_in_production(user):
            raise exceptions.AuthenticationFailed("demo accounts may not log in in production")
        return user, token
