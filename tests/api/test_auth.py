"""Tokens (django-rest-knox), sessions, logging out, lockout (django-axes) and throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import api_token, make_user

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
LOGOUT_ALL_URL = "/api/v1/auth/logout-all/"
CR_URL = "/api/v1/change-requests/"
ROLES = ["editor", "reviewer", "superuser"]


def obtain(username: str, password: str, **extra) -> tuple[int, dict]:
    response = APIClient(**extra).post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    return response.status_code, response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_login_and_use(editor, settings):
    status, body = obtain("editor", "pw-editor")
    assert status == 200
    token = body["token"]
    expiry = parse_datetime(body["expiry"])
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert abs(expiry - (timezone.now() + ttl)) < timedelta(minutes=1)
    assert APIClient().get(CR_URL).status_code == 401
    assert with_token(token).get(CR_URL).status_code == 200
    # Each login gets its own token; both work until they expire or are revoked.
    again = obtain("editor", "pw-editor")[1]["token"]
    assert again != token
    assert with_token(again).get(CR_URL).status_code == 200
    assert with_token(token).get(CR_URL).status_code == 200
    # Only a hash is stored: the database cannot hand a token out again.
    stored = AuthToken.objects.filter(user=editor)
    assert stored.count() == 2
    assert not any(token in (row.digest, row.token_key) for row in stored)


def test_token_ttl_comes_from_the_settings(editor, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=2)}
    expiry = parse_datetime(obtain("editor", "pw-editor")[1]["expiry"])
    assert abs(expiry - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)


@pytest.mark.parametrize("role", [*ROLES, "no_group"])
def test_every_role_gets_a_token_and_is_who_it_says(request, role):
    user = make_user("plain") if role == "no_group" else request.getfixturevalue(role)
    status, body = obtain(user.username, f"pw-{user.username}")
    assert status == 200
    # Change requests are for editors and reviewers only: the token carries the user's role.
    expected = 403 if role == "no_group" else 200
    assert with_token(body["token"]).get(CR_URL).status_code == expected
    user.refresh_from_db()
    assert user.last_login is not None  # a token login is a login


def test_wrong_password_is_400_without_a_token(editor):
    status, body = obtain("editor", "wrong")
    assert status == 400
    assert body["error"]["code"] == "invalid_credentials"
    assert "token" not in body
    assert not AuthToken.objects.exists()


def test_inactive_user_gets_no_token(editor):
    editor.is_active = False
    editor.save()
    assert obtain("editor", "pw-editor")[0] == 400


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ({}, ["password", "username"]),
        ({"username": "editor"}, ["password"]),
        ({"password": "pw-editor"}, ["username"]),
        ({"username": 5, "password": "x"}, ["username"]),
        ({"username": "editor", "password": None}, ["password"]),
        ({"username": "editor", "password": "pw-editor", "remember": True}, ["remember"]),
    ],
)
def test_token_bad_input(editor, payload, paths):
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert sorted(e["path"] for e in response.json()["error"]["errors"]) == paths


def test_bad_token_is_401():
    response = with_token("not-a-token").get(CR_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_expired_token_is_401_and_forgotten(editor):
    token = api_token(editor, expiry=timedelta(seconds=-1))
    response = with_token(token).get(CR_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=editor).exists()  # knox deletes it on sight


def test_password_change_revokes_every_token_of_that_user_only(editor, reviewer):
    tokens = [api_token(editor), api_token(editor)]
    other = api_token(reviewer)
    editor.set_password("a-new-password-for-the-editor")
    editor.save()
    for token in tokens:
        assert with_token(token).get(CR_URL).status_code == 401
    assert with_token(other).get(CR_URL).status_code == 200
    # The new password gets a token that works.
    status, body = obtain("editor", "a-new-password-for-the-editor")
    assert status == 200 and with_token(body["token"]).get(CR_URL).status_code == 200


def test_unusable_password_revokes_tokens_too(editor):
    token = api_token(editor)
    editor.set_unusable_password()
    editor.save()
    assert with_token(token).get(CR_URL).status_code == 401


def test_saves_that_keep_the_password_keep_the_tokens(editor):
    token = api_token(editor)
    obtain("editor", "pw-editor")  # a login saves last_login
    editor.refresh_from_db()
    editor.email = "editor@example.org"
    editor.save()
    editor.set_password("pw-editor")  # the same password again: a new hash, no new secret
    editor.save()
    assert with_token(token).get(CR_URL).status_code == 200


# --- Logging out ------------------------------------------------------------------------------


def test_logout_anonymous_is_401(anon_client):
    for url in (LOGOUT_URL, LOGOUT_ALL_URL):
        response = anon_client.post(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", ROLES)
def test_logout_revokes_only_the_token_used(request, role):
    user = request.getfixturevalue(role)
    used, kept = api_token(user), api_token(user)
    response = with_token(used).post(LOGOUT_URL)
    assert response.status_code == 204
    assert with_token(used).get("/api/v1/trials/").status_code == 401
    assert with_token(used).post(LOGOUT_URL).status_code == 401  # a revoked token
    assert AuthToken.objects.filter(user=user).count() == 1
    assert with_token(kept).post(LOGOUT_URL).status_code == 204


@pytest.mark.parametrize("role", ROLES)
def test_logout_all_revokes_every_token_of_the_user(request, role, reviewer2):
    user = request.getfixturevalue(role)
    tokens = [api_token(user), api_token(user)]
    someone_else = api_token(reviewer2)
    assert with_token(tokens[0]).post(LOGOUT_ALL_URL).status_code == 204
    for token in tokens:
        assert with_token(token).post(LOGOUT_ALL_URL).status_code == 401
    assert with_token(someone_else).get(CR_URL).status_code == 200


def test_logout_needs_a_token_not_a_session(editor):
    client = APIClient()
    client.force_login(editor)
    assert client.post(LOGOUT_URL).status_code == 401
    assert client.post(LOGOUT_ALL_URL).status_code == 401


def test_logout_with_an_expired_token_is_401(editor):
    token = api_token(editor, expiry=timedelta(seconds=-1))
    assert with_token(token).post(LOGOUT_URL).status_code == 401
    assert with_token("Token-that-never-was").post(LOGOUT_ALL_URL).status_code == 401


def test_logout_refuses_get(editor):
    response = with_token(api_token(editor)).get(LOGOUT_URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# --- Lockout (django-axes) --------------------------------------------------------------------


def fail(username: str, times: int, **extra) -> list[int]:
    return [obtain(username, "wrong", **extra)[0] for _ in range(times)]


def test_repeated_failures_lock_out_even_the_right_password(editor, settings):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = fail("editor", limit)
    assert statuses[:-1] == [400] * (limit - 1)
    assert statuses[-1] == 429  # the failure that reaches the limit already answers the lockout
    response = APIClient().post(
        TOKEN_URL, {"username": "editor", "password": "pw-editor"}, format="json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "locked_out"
    assert set(body["error"]) == {"code", "message", "errors", "fields"}
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "token" not in body and not AuthToken.objects.exists()


def test_lockout_is_per_username_and_address(editor, editor2, settings):
    fail("editor", settings.AXES_FAILURE_LIMIT)
    assert obtain("editor", "pw-editor")[0] == 429
    # The same user from another address, and another user from the same address, log in.
    assert obtain("editor", "pw-editor", REMOTE_ADDR="10.0.0.9")[0] == 200
    assert obtain("editor2", "pw-editor2")[0] == 200


def test_lockout_ends_after_the_cool_off(editor, settings):
    from axes.models import AccessAttempt

    fail("editor", settings.AXES_FAILURE_LIMIT)
    assert obtain("editor", "pw-editor")[0] == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert obtain("editor", "pw-editor")[0] == 200


def test_a_successful_login_forgets_earlier_failures(editor, settings):
    fail("editor", settings.AXES_FAILURE_LIMIT - 1)
    assert obtain("editor", "pw-editor")[0] == 200
    assert fail("editor", settings.AXES_FAILURE_LIMIT - 1) == [400] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert obtain("editor", "pw-editor")[0] == 200


def test_unknown_usernames_are_locked_out_too(db, settings):
    assert fail("nobody", settings.AXES_FAILURE_LIMIT)[-1] == 429


# --- Sessions and throttling ------------------------------------------------------------------


def test_session_works_and_needs_csrf_for_writes(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get(CR_URL).status_code == 200
    response = client.post(CR_URL, {}, format="json")
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
    client.force_login(editor)
    assert client.get("/api/v1/trials/").status_code == 200
