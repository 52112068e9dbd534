import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Test companies hash a password per person; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english(settings):
    """Tests read messages in English; tests/web/test_i18n.py checks the Chinese default."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    from tests.factories import build_org

    return build_org()


@pytest.fixture
def huey_now():
    """Huey runs tasks at once, in memory (not in the shared queue file)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before
