import pytest

from tests.factories import PASSWORD


@pytest.fixture
def login(client):
    """Sign ``client`` in as the person with that employee number."""

    def sign_in(employee_no: str):
        assert client.login(username=employee_no, password=PASSWORD)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def english():
    """The pages keep the product's default language (zh-hans) here: these tests check it."""
    return
