"""Check-in photos: served only to those who may see the visit; a decompression bomb is refused;
what is stored is a downscaled JPEG copy."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.field.test_visits import body, client_for, image_bytes
from tiejun.field.models import Visit
from tiejun.field.services.photos import PHOTO_MAX_SIDE


def bomb_png() -> bytes:
    """48 megapixels that compress to a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    return out.getvalue()


def post_photo(client: Client, data: bytes, name: str = "door.jpg"):
    photo = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post("/api/v1/visits", {**body(), "photo": photo})


def test_the_stored_photo_is_a_downscaled_jpeg(org, customers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post_photo(client_for(org.reps["R1"]), image_bytes((3200, 2400), "JPEG"))
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    with Image.open(visit.photo.path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == PHOTO_MAX_SIDE and stored.size == (1600, 1200)


def test_a_decompression_bomb_is_refused_and_nothing_is_stored(org, customers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = bomb_png()
    assert len(data) < settings.PHOTO_MAX_BYTES  # small on the wire: only the pixels are huge
    response = post_photo(client_for(org.reps["R1"]), data, "bomb.png")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "the photo has more than 40 megapixels; send a smaller one",
        "field": "photo",
    }
    assert not Visit.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_the_photo_url_serves_those_who_may_see_the_visit_and_404_to_others(
    org, customers, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    rep = client_for(org.reps["R1"])
    response = post_photo(rep, image_bytes((200, 100), "PNG"), "door.png")
    url = response.json()["photo"]
    visit = Visit.objects.get()
    assert url == f"/api/v1/visits/{visit.pk}/photo"
    stored = visit.photo.read()
    for viewer in (org.reps["R1"], org.supervisor_a, org.manager, org.admin):
        client = client_for(viewer)
        client.get("/api/v1/visits")  # warm the session
        with django_assert_max_num_queries(6):  # session, person, 2 memberships, led, visit
            response = client.get(url)
        assert response.status_code == 200, viewer
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == stored
    for viewer in (org.reps["R2"], org.reps["R3"], org.reps["R5"]):
        response = client_for(viewer).get(url)
        assert response.status_code == 404
        assert response.json()["field"] == "id"
    assert Client().get(url).status_code == 401
    # a visit without a photo, and an id that is not one, are not found either
    other = rep.post(
        "/api/v1/visits", body(customer_code="C-POOL"), content_type="application/json"
    )
    assert rep.get(f"/api/v1/visits/{other.json()['id']}/photo").status_code == 404
    assert rep.get("/api/v1/visits/not-an-id/photo").status_code == 404
