import pytest

from tests.accounts.fakes import FakeServer, configure, sample_company


@pytest.fixture
def fake(settings):
    """WeCom, DingTalk and Feishu on loopback, configured, with a small company in them."""
    with FakeServer() as server:
        configure(settings, server)
        sample_company(server.state)
        yield server
