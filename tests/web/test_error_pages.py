"""Errors Django answers outside any view: JSON on /api/ paths, the product's pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_garbage_host_on_the_api_is_a_json_400():
    response = Client().get("/api/v1/me", HTTP_HOST="Q`-Y .")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    # Django refuses the host before the locale is chosen: the default language answers
    assert response.json()["detail"] in {"The request is malformed.", "请求格式有误。"}


@pytest.mark.django_db
def test_a_garbage_host_on_a_page_is_the_html_400_page():
    response = Client().get("/", HTTP_HOST="Q`-Y .")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404_and_an_unknown_page_the_404_page(client):
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["detail"] in {"Not found.", "未找到。"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
