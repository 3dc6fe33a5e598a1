import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files of a test land in its own folder, never in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory):
    """Tests run with DEBUG off, as production does: static files come from a collected,
    hashed manifest served by whitenoise, so collect them once per session."""
    from django.core.management import call_command
    from django.test import override_settings

    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield static_root
