import pytest


@pytest.fixture
def org(db):
    from tests.factories import build_org

    return build_org()
