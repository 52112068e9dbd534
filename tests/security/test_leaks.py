"""Filters and forms answer the same for an id one may not see as for one that does not exist."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize(
    ("field", "hidden", "missing"), [("unit", "NB1", "NOPE"), ("rep", "R5", "R99")]
)
def test_deal_list_filters_tell_nothing_about_hidden_codes(org, field, hidden, missing):
    client = Client()
    client.force_login(org.reps["R1"])
    seen = client.get("/deals/", {field: hidden}).context["form"].errors
    unknown = client.get("/deals/", {field: missing}).context["form"].errors
    assert seen == unknown and field in seen
