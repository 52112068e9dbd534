import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Test companies hash a password per person; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    from tests.factories import build_org

    return build_org()
