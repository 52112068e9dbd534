"""Signing in with WeCom, DingTalk and Feishu against the loopback fakes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from tests.factories import build_org
from tiejun.accounts.models import ExternalIdentity
from tiejun.accounts.services import link_external_id
from tiejun.org.models import Person
from tiejun.org.services import person_deactivate

pytestmark = pytest.mark.django_db


def start(client: Client, platform: str) -> str:
    """Open /login/<platform>/ and let the fake's sign-in page answer: the callback URL."""
    response = client.get(f"/login/{platform}/")
    assert response.status_code == 302, response.content
    at_platform = httpx.get(response["Location"], follow_redirects=False)
    assert at_platform.status_code == 302
    back = urlsplit(at_platform.headers["location"])
    assert back.path == f"/login/{platform}/callback/"
    return f"{back.path}?{back.query}"


def signed_in_as(client: Client) -> str | None:
    person_id = client.session.get("_auth_user_id")
    return Person.objects.get(pk=person_id).employee_no if person_id else None


@pytest.fixture
def company(db):
    org = build_org()
    link_external_id(org.reps["R1"], "wecom", "zhang", None)
    return org


def test_the_login_page_offers_the_configured_platforms(client, fake, settings):
    settings.FEISHU_APP_ID = ""
    body = client.get("/login/").content.decode()
    assert 'data-platform="wecom"' in body and 'data-platform="dingtalk"' in body
    assert 'data-platform="feishu"' not in body
    assert client.get("/login/feishu/").status_code == 404


def test_no_platform_no_offer(client, settings):
    settings.WECOM_CORP_ID = settings.DINGTALK_CLIENT_ID = settings.FEISHU_APP_ID = ""
    assert "data-platforms" not in client.get("/login/").content.decode()
    assert client.get("/login/wecom/").status_code == 404


def test_wecom_redirects_to_its_documented_qr_login_with_a_session_state(client, fake):
    response = client.get("/login/wecom/")
    url = urlsplit(response["Location"])
    assert url.path == "/wwlogin/sso/login"
    query = parse_qs(url.query)
    assert query["appid"] == ["ww-corp"] and query["agentid"] == ["1000002"]
    assert query["login_type"] == ["CorpApp"]
    assert query["redirect_uri"] == ["http://testserver/login/wecom/callback/"]
    assert query["state"][0] == client.session["tiejun_sso_state"]["state"]


def test_wecom_sign_in_by_the_linked_user_id(client, fake, company):
    fake.next_user["wecom"] = "zhang"
    response = client.get(start(client, "wecom"))
    assert response.status_code == 302 and response.url == "/"
    assert signed_in_as(client) == "R1"
    assert fake.state.calls[-2:] == ["/cgi-bin/auth/getuserinfo", "/cgi-bin/user/get"]


def test_wecom_sign_in_by_mobile_then_by_email_links_the_id(client, fake, company):
    Person.objects.filter(employee_no="R2").update(phone="139-0000-0006")
    fake.next_user["wecom"] = "li"
    assert client.get(start(client, "wecom")).status_code == 302
    assert signed_in_as(client) == "R2"
    assert (
        ExternalIdentity.objects.get(platform="wecom", external_id="li").person.employee_no == "R2"
    )
    other = Client()
    Person.objects.filter(employee_no="R3").update(email="WANG@corp.cn")
    fake.next_user["wecom"] = "wang"
    assert other.get(start(other, "wecom")).status_code == 302
    assert signed_in_as(other) == "R3"


def test_an_unknown_user_is_refused_and_nobody_is_created(client, fake, company):
    people = Person.objects.count()
    fake.next_user["wecom"] = "boss"  # in WeCom, not in Tiejun
    response = client.get(start(client, "wecom"))
    assert response.status_code == 403
    assert "not linked to anyone in Tiejun" in response.content.decode()
    assert signed_in_as(client) is None and Person.objects.count() == people


def test_someone_outside_the_company_is_refused(client, fake, company):
    fake.next_user["wecom"] = "openid:o123"
    assert client.get(start(client, "wecom")).status_code == 403


def test_a_deactivated_person_is_refused(client, fake, company):
    person_deactivate(person=company.reps["R1"])
    fake.next_user["wecom"] = "zhang"
    response = client.get(start(client, "wecom"))
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_a_wrong_or_reused_state_is_refused(client, fake, company):
    fake.next_user["wecom"] = "zhang"
    callback = start(client, "wecom")
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).status_code == 400  # wrong: and the state is spent
    assert client.get(callback).status_code == 400  # reused
    assert signed_in_as(client) is None
    # a state from another browser's session is no good either
    callback = start(client, "wecom")
    stranger = Client()
    assert stranger.get(callback).status_code == 400


def test_a_platform_error_at_sign_in_is_a_clear_page(client, fake, company):
    fake.next_user["wecom"] = "zhang"
    callback = start(client, "wecom")
    fake.state.fail_next("/cgi-bin/auth/getuserinfo", 40029)
    response = client.get(callback)
    assert response.status_code == 502
    assert "auth/getuserinfo answered error 40029" in response.content.decode()


def test_dingtalk_sign_in_through_its_user_token_and_unionid(client, fake, company):
    link_external_id(company.reps["R4"], "dingtalk", "li", None)
    fake.next_user["dingtalk"] = "li"
    response = client.get(start(client, "dingtalk"))
    assert response.status_code == 302, response.content.decode()
    assert signed_in_as(client) == "R4"
    assert "/topapi/user/getbyunionid" in fake.state.calls


def test_feishu_sign_in_through_oidc(client, fake, company):
    link_external_id(company.reps["R5"], "feishu", "wang", None)
    fake.next_user["feishu"] = "wang"
    response = client.get(start(client, "feishu"))
    assert response.status_code == 302, response.content.decode()
    assert signed_in_as(client) == "R5"


def test_next_is_kept_on_the_same_site_only(client, fake, company):
    fake.next_user["wecom"] = "zhang"
    client.get("/login/wecom/?next=/me/")
    session_state = client.session["tiejun_sso_state"]
    assert session_state["next"] == "/me/"
    callback = f"/login/wecom/callback/?code={fake.state.issue_code('zhang')}&state={session_state['state']}"
    assert client.get(callback).url == "/me/"
    other = Client()
    other.get("/login/wecom/?next=https://evil.example/")
    state = other.session["tiejun_sso_state"]["state"]
    callback = f"/login/wecom/callback/?code={fake.state.issue_code('zhang')}&state={state}"
    assert other.get(callback).url == "/"


def test_link_external_id_refuses_an_id_linked_to_someone_else(company):
    from tiejun.errors import TiejunError

    with pytest.raises(TiejunError, match="already linked"):
        link_external_id(company.reps["R2"], "wecom", "zhang", None)
    with pytest.raises(TiejunError, match="Unknown platform"):
        link_external_id(company.reps["R2"], "slack", "x", None)
