from unittest import mock

import pytest
from django.core.management import call_command
from huey.contrib.djhuey import HUEY


@pytest.mark.parametrize(("args", "periodic"), [((), True), (("--no-scheduler",), False)])
def test_worker_runs_the_scheduler_unless_told_not_to(args, periodic):
    with mock.patch.object(HUEY, "create_consumer") as create:
        call_command("worker", "--workers", "3", *args)
    create.assert_called_once()
    assert create.call_args.kwargs["periodic"] is periodic
    assert create.call_args.kwargs["workers"] == 3
    create.return_value.run.assert_called_once()
