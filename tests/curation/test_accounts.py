"""Demo accounts in production: refused at every login, and `check --deploy` fails.

The settings module is read once per process, so production-only paths are reached two ways:
in this process with ``settings.PRODUCTION = True`` (the rule reads the setting when it runs),
and in a subprocess with ``DJANGO_ENV=production`` (tests/test_settings.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from curation import accounts, checks
from tests.conftest import api_token, make_user

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
CR_URL = "/api/v1/change-requests/"


@pytest.fixture
def demo_accounts(settings):
    """What `make run` leaves behind: the four accounts with the published password."""
    settings.DEMO_PASSWORD = accounts.PUBLISHED_DEMO_PASSWORD
    call_command("setup_demo_accounts", stdout=None)
    return {user.username: user for user in get_user_model().objects.all()}


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    return settings


def token_status(username: str, password: str) -> int:
    return (
        APIClient()
        .post(TOKEN_URL, {"username": username, "password": password}, format="json")
        .status_code
    )


def admin_login(username: str, password: str):
    from django.test import Client

    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return client, response


def test_demo_accounts_work_in_development(demo_accounts):
    assert token_status("editor", "curation-demo") == 200
    client, response = admin_login("admin", "curation-demo")
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


@pytest.mark.parametrize("username", accounts.DEMO_USERNAMES)
def test_production_refuses_demo_accounts_at_every_login(demo_accounts, production, username):
    assert token_status(username, "curation-demo") == 400
    client, response = admin_login(username, "curation-demo")
    assert response.status_code == 200  # the login form again, with its error
    assert "Please enter the correct username and password" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_production_refuses_tokens_and_sessions_from_before(demo_accounts, settings):
    editor = demo_accounts["editor"]
    token = api_token(editor)
    session = APIClient()
    session.force_login(editor)
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.get(CR_URL).status_code == 200 and session.get(CR_URL).status_code == 200

    settings.PRODUCTION = True
    response = with_token.get(CR_URL)
    assert response.status_code == 401
    assert "demo accounts" in response.json()["error"]["message"]
    assert session.get(CR_URL).status_code == 401  # the session no longer has a user


def test_renaming_a_demo_account_does_not_hide_it(demo_accounts, production):
    editor = demo_accounts["editor"]
    editor.username = "maria"
    editor.save()
    assert token_status("maria", "curation-demo") == 400
    assert accounts.demo_accounts() == ["admin", "maria", "reviewer", "reviewer2"]


def test_a_demo_account_keeps_its_mark_until_an_administrator_removes_it(demo_accounts, production):
    editor = demo_accounts["editor"]
    editor.set_password("a-real-password-now")
    editor.save()
    assert token_status("editor", "a-real-password-now") == 400
    editor.groups.remove(editor.groups.get(name=accounts.DEMO_GROUP))
    assert token_status("editor", "a-real-password-now") == 200


def test_older_databases_without_the_mark_are_caught_by_the_password(production, settings):
    settings.DEMO_PASSWORD = "something-else"  # production's env says nothing of the demo
    admin = make_user("admin", superuser=True)
    admin.set_password("curation-demo")
    admin.save()
    assert token_status("admin", "curation-demo") == 400
    assert accounts.demo_accounts() == ["admin"]
    # The same username with a password of its own is an ordinary account.
    admin.set_password("chosen-by-the-operator")
    admin.save()
    assert token_status("admin", "chosen-by-the-operator") == 200
    assert accounts.demo_accounts() == []


def test_ordinary_accounts_log_in_in_production(production, editor2):
    assert token_status("editor2", "pw-editor2") == 200
    _, response = admin_login("editor2", "pw-editor2")
    assert response.status_code == 302


def test_check_names_every_demo_account(demo_accounts):
    errors = checks.check_no_demo_accounts()
    assert [error.id for error in errors] == ["curation.E001"]
    assert errors[0].is_serious()
    assert "admin, editor, reviewer, reviewer2" in errors[0].msg
    assert "createsuperuser" in errors[0].hint


def test_check_passes_without_demo_accounts(editor, reviewer):
    assert checks.check_no_demo_accounts() == []


def test_admin_login_locks_out_after_repeated_failures(editor, settings):
    client, response = admin_login("editor", "pw-editor")
    assert response.status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _, response = admin_login("editor", "wrong")
    _, response = admin_login("editor", "pw-editor")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Account locked" in page and 'id="site-name"' in page  # the admin's own look
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Content-Security-Policy" in response
