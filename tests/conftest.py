import datetime as dt
import os
import sys
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

# The suite's clock: every test process starts at a working Wednesday mid-morning in the middle
# of a month without holidays, and the clock runs from there. Nothing depends on the day the suite
# runs (month ends, weekends, Spring Festival). A test that needs another moment moves the clock
# with the ``time_machine`` fixture; servers the suite starts as subprocesses (tests/ops) keep the
# real clock. TIEJUN_TEST_REAL_CLOCK=1 runs the suite on the real date instead.
SUITE_CLOCK = dt.datetime(2026, 12, 16, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
_travel = None


def pytest_configure(config):
    global _travel
    if os.environ.get("TIEJUN_TEST_REAL_CLOCK") != "1":
        _travel = time_machine.travel(SUITE_CLOCK, tick=True)
        _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "live_server", "django_db_reset_sequences"}
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that use no test database first, the long kinds first: ``slow`` ones (servers and
    databases of their own, tens of seconds each), then ``own_database`` ones (``tiejun`` as a
    subprocess), then the rest; the database tests after them in pytest-django's order (runs
    after its hook). Last, as pytest-django leaves them, the long tests made the end of a run
    one or two of them on otherwise idle cores; first, and handed out two at a time
    (``--maxschedchunk 2`` in the Makefile), they run beside the short ones."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            return 3
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("own_database") else 2

    items.sort(key=weight)  # stable: the database tests keep pytest-django's order


def pytest_sessionfinish(session):
    """Drop the migrated templates of this process (tests/migrated.py), if it made any."""
    migrated = sys.modules.get("tests.migrated")
    if migrated is not None:
        migrated.cleanup()


@pytest.fixture(autouse=True)
def _real_clock_beside_servers(request):
    """Tests marked ``slow`` start servers and commands as subprocesses, which read the real
    clock; the test reads it too, so both sides agree on today. So do tests marked
    ``real_clock``: a browser's geolocation stamps positions with the real time."""
    marked = request.node.get_closest_marker("slow") or request.node.get_closest_marker(
        "real_clock"
    )
    if _travel is None or marked is None:
        yield
        return
    with time_machine.travel(time_machine.escape_hatch.time.time(), tick=True):
        yield


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
