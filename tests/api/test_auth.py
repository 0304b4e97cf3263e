"""Tokens, sessions and throttling."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def test_token_login_and_use(editor):
    client = APIClient()
    response = client.post(
        TOKEN_URL, {"username": "editor", "password": "pw-editor"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert client.get("/api/v1/change-requests/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/change-requests/").status_code == 200
    # The same user gets the same token again.
    again = APIClient().post(
        TOKEN_URL, {"username": "editor", "password": "pw-editor"}, format="json"
    )
    assert again.json()["token"] == token


def test_wrong_password_is_400_without_a_token(editor):
    response = APIClient().post(
        TOKEN_URL, {"username": "editor", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_inactive_user_gets_no_token(editor):
    editor.is_active = False
    editor.save()
    response = APIClient().post(
        TOKEN_URL, {"username": "editor", "password": "pw-editor"}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ({}, ["password", "username"]),
        ({"username": "editor"}, ["password"]),
        ({"username": 5, "password": "x"}, ["username"]),
        ({"username": "editor", "password": "pw-editor", "remember": True}, ["remember"]),
    ],
)
def test_token_bad_input(editor, payload, paths):
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert sorted(e["path"] for e in response.json()["error"]["errors"]) == paths


def test_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/change-requests/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_session_login_works_and_needs_csrf_for_writes(editor):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="editor", password="pw-editor")
    assert client.get("/api/v1/change-requests/").status_code == 200
    response = client.post("/api/v1/change-requests/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_throttled_requests_get_429_in_the_error_shape(monkeypatch, editor):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    client = APIClient()
    statuses = [client.get("/api/v1/trials/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/events/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Logged-in users have their own, larger allowance.
    client.login(username="editor", password="pw-editor")
    assert client.get("/api/v1/trials/").status_code == 200
