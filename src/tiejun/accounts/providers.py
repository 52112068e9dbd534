"""WeCom, DingTalk and Feishu behind one interface: the sign-in page's address, the user behind
a sign-in code, and the directory (departments and members).

Thin clients over httpx, not the platforms' SDKs (docs/architecture.md says why): each call
names its documented endpoint; an expired access token is fetched again once and the call
retried; a rate limit backs off (``DIRECTORY_BACKOFF_SECONDS`` · 2^try, at most
``DIRECTORY_RATE_RETRIES`` tries); any other error code is a ``PlatformError`` naming the
platform, the endpoint and the code. Every base address is a setting.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from tiejun.errors import TiejunError

from .models import Platform
from .selectors import configured_platforms

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    parent_id: str | None
    order: int = 0


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    mobile: str = ""
    email: str = ""
    job_number: str = ""
    departments: tuple[str, ...] = ()
    leads: frozenset[str] = field(default_factory=frozenset)  # department ids they lead
    active: bool = True


@dataclass(frozen=True)
class Directory:
    root: str
    departments: list[Department]
    members: list[Member]


@dataclass(frozen=True)
class PlatformUser:
    user_id: str
    mobile: str = ""
    email: str = ""
    name: str = ""


class PlatformError(TiejunError):
    """A platform said no (or could not be reached): the message names the endpoint and code."""

    status = 502

    def __init__(self, platform: str, endpoint: str, code: Any, detail: str = "") -> None:
        message = _("%(platform)s %(endpoint)s answered error %(code)s%(detail)s") % {
            "platform": Platform(platform).label,
            "endpoint": endpoint,
            "code": code,
            "detail": f": {detail}" if detail else "",
        }
        super().__init__(message)
        self.platform, self.endpoint, self.code = platform, endpoint, code


class Client(ABC):
    """One platform's calls with the token, the retry and the back-off they share."""

    platform: str
    default_root: str
    token_expired: frozenset[Any] = frozenset()
    rate_limited: frozenset[Any] = frozenset()

    def __init__(self, http: httpx.Client | None = None) -> None:
        # httpx is imported here and in ``raw``, not at the top: the app messages load this module
        # in every process, and only a sign-in, a directory sync or an app message calls out.
        import httpx

        self.http = http or httpx.Client(timeout=settings.DIRECTORY_HTTP_TIMEOUT)
        self._token: str | None = None
        self.sleep: Callable[[float], None] = time.sleep

    # -- what each platform says differently --

    @abstractmethod
    def fetch_token(self) -> str: ...

    @staticmethod
    def code_of(body: dict[str, Any]) -> Any:
        return body.get("errcode", 0)

    @staticmethod
    def message_of(body: dict[str, Any]) -> str:
        return str(body.get("errmsg") or body.get("msg") or body.get("message") or "")

    @abstractmethod
    def authorize_url(self, redirect_uri: str, state: str) -> str: ...

    @abstractmethod
    def user_for_code(self, code: str) -> PlatformUser: ...

    @abstractmethod
    def directory(self, root: str | None = None) -> Directory: ...

    # -- shared --

    def token(self) -> str:
        if self._token is None:
            self._token = self.fetch_token()
        return self._token

    def raw(
        self, method: str, url: str, endpoint: str, *, authed: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """One call: JSON in and out, the token refreshed once, rate limits waited out."""
        import httpx

        refreshed = False
        tries = 0
        while True:
            if authed:
                self.authorize(kwargs)
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                raise PlatformError(self.platform, endpoint, "unreachable", str(exc)) from None
            body = self._json(response, endpoint)
            code = self.code_of(body)
            if response.status_code == 429 or code in self.rate_limited:
                if tries >= settings.DIRECTORY_RATE_RETRIES:
                    raise PlatformError(self.platform, endpoint, code or 429, self.message_of(body))
                self.sleep(settings.DIRECTORY_BACKOFF_SECONDS * 2**tries)
                tries += 1
                continue
            if authed and code in self.token_expired and not refreshed:
                self._token = None
                refreshed = True
                continue
            if code not in (0, None, "0") or response.status_code >= 400:
                raise PlatformError(
                    self.platform, endpoint, code or response.status_code, self.message_of(body)
                )
            return body

    def authorize(self, kwargs: dict[str, Any]) -> None:
        """Put the access token on the call (a query parameter unless a platform says else)."""
        kwargs["params"] = {**kwargs.get("params", {}), "access_token": self.token()}

    def _json(self, response: httpx.Response, endpoint: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(
                self.platform, endpoint, f"HTTP {response.status_code}", _("not JSON")
            ) from None
        if not isinstance(body, dict):
            raise PlatformError(self.platform, endpoint, f"HTTP {response.status_code}")
        return body


# --- WeCom (企业微信) -----------------------------------------------------------------------


class WeCom(Client):
    platform = Platform.WECOM
    default_root = "1"
    token_expired = frozenset({40014, 42001})
    rate_limited = frozenset({45009, 45033, -1})

    def url(self, path: str) -> str:
        return f"{settings.WECOM_API_BASE}/cgi-bin/{path}"

    def fetch_token(self) -> str:
        body = self.raw(
            "GET",
            self.url("gettoken"),
            "gettoken",
            params={"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_SECRET},
        )
        return str(body["access_token"])

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {
            "login_type": "CorpApp",
            "appid": settings.WECOM_CORP_ID,
            "agentid": settings.WECOM_AGENT_ID,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{settings.WECOM_LOGIN_BASE}/wwlogin/sso/login?{urlencode(query)}"

    def user_for_code(self, code: str) -> PlatformUser:
        body = self.raw(
            "GET",
            self.url("auth/getuserinfo"),
            "auth/getuserinfo",
            authed=True,
            params={"code": code},
        )
        user_id = str(body.get("userid") or body.get("UserId") or "")
        if not user_id:  # someone outside the company (openid only)
            return PlatformUser("")
        try:
            detail = self.raw(
                "GET", self.url("user/get"), "user/get", authed=True, params={"userid": user_id}
            )
        except PlatformError:  # contacts not readable by this app: sign in by the id alone
            return PlatformUser(user_id)
        return PlatformUser(
            user_id, str(detail.get("mobile") or ""), str(detail.get("email") or ""), detail["name"]
        )

    def directory(self, root: str | None = None) -> Directory:
        root = root or self.default_root
        body = self.raw(
            "GET", self.url("department/list"), "department/list", authed=True, params={"id": root}
        )
        departments = [
            Department(
                str(d["id"]),
                str(d.get("name") or d["id"]),
                str(d["parentid"]) if str(d["id"]) != root else None,
                int(d.get("order") or 0),
            )
            for d in body.get("department", [])
        ]
        members: dict[str, Member] = {}
        for department in departments:
            listed = self.raw(
                "GET",
                self.url("user/list"),
                "user/list",
                authed=True,
                params={"department_id": department.id},
            )
            for u in listed.get("userlist", []):
                if u["userid"] in members:
                    continue
                depts = [str(d) for d in u.get("department", [])]
                flags = list(u.get("is_leader_in_dept", [])) + [0] * len(depts)
                main = str(u.get("main_department") or (depts[0] if depts else ""))
                ordered = [main, *[d for d in depts if d != main]] if main else depts
                members[u["userid"]] = Member(
                    user_id=str(u["userid"]),
                    name=str(u.get("name") or u["userid"]),
                    mobile=str(u.get("mobile") or ""),
                    email=str(u.get("email") or u.get("biz_mail") or ""),
                    departments=tuple(ordered),
                    leads=frozenset(d for d, flag in zip(depts, flags, strict=False) if flag),
                    active=int(u.get("status", 1)) in (1, 4),
                )
        return Directory(root, departments, list(members.values()))


# --- DingTalk (钉钉) ------------------------------------------------------------------------


class DingTalk(Client):
    platform = Platform.DINGTALK
    default_root = "1"
    token_expired = frozenset({40014, 42001, 40001})
    rate_limited = frozenset(
        {88, 90002, 90005, 90006, 90018, "Forbidden.AccessDenied.QpsLimitForApi"}
    )
    PAGE = 100

    @staticmethod
    def code_of(body: dict[str, Any]) -> Any:
        # oapi answers errcode; api.dingtalk.com answers HTTP 4xx with a string code
        return body.get("errcode", body.get("code", 0))

    def oapi(self, path: str) -> str:
        return f"{settings.DINGTALK_OAPI_BASE}/{path}"

    def fetch_token(self) -> str:
        body = self.raw(
            "GET",
            self.oapi("gettoken"),
            "gettoken",
            params={
                "appkey": settings.DINGTALK_CLIENT_ID,
                "appsecret": settings.DINGTALK_CLIENT_SECRET,
            },
        )
        return str(body["access_token"])

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "client_id": settings.DINGTALK_CLIENT_ID,
            "scope": "openid",
            "state": state,
            "prompt": "consent",
        }
        return f"{settings.DINGTALK_LOGIN_BASE}/oauth2/auth?{urlencode(query)}"

    def user_for_code(self, code: str) -> PlatformUser:
        api = settings.DINGTALK_API_BASE
        grant = self.raw(
            "POST",
            f"{api}/v1.0/oauth2/userAccessToken",
            "v1.0/oauth2/userAccessToken",
            json={
                "clientId": settings.DINGTALK_CLIENT_ID,
                "clientSecret": settings.DINGTALK_CLIENT_SECRET,
                "code": code,
                "grantType": "authorization_code",
            },
        )
        me = self.raw(
            "GET",
            f"{api}/v1.0/contact/users/me",
            "v1.0/contact/users/me",
            headers={"x-acs-dingtalk-access-token": str(grant["accessToken"])},
        )
        user_id = ""
        if me.get("unionId"):
            try:
                found = self.raw(
                    "POST",
                    self.oapi("topapi/user/getbyunionid"),
                    "topapi/user/getbyunionid",
                    authed=True,
                    json={"unionid": me["unionId"]},
                )
                user_id = str(found.get("result", {}).get("userid") or "")
            except PlatformError as exc:
                if exc.code != 60121:  # 60121: not a member of this company
                    raise
        return PlatformUser(
            user_id, str(me.get("mobile") or ""), str(me.get("email") or ""), str(me.get("nick"))
        )

    def directory(self, root: str | None = None) -> Directory:
        root = root or self.default_root
        top = self.raw(
            "POST",
            self.oapi("topapi/v2/department/get"),
            "topapi/v2/department/get",
            authed=True,
            json={"dept_id": int(root)},
        )["result"]
        departments = [Department(root, str(top.get("name") or root), None)]
        queue = [root]
        while queue:  # listsub lists one level: walk the tree breadth first
            parent = queue.pop(0)
            children = self.raw(
                "POST",
                self.oapi("topapi/v2/department/listsub"),
                "topapi/v2/department/listsub",
                authed=True,
                json={"dept_id": int(parent)},
            ).get("result", [])
            for d in children:
                departments.append(Department(str(d["dept_id"]), str(d["name"]), parent))
                queue.append(str(d["dept_id"]))
        members: dict[str, Member] = {}
        leads: dict[str, set[str]] = {}
        for department in departments:
            for u in self._users(department.id):
                if u.get("leader"):
                    leads.setdefault(u["userid"], set()).add(department.id)
                members.setdefault(
                    u["userid"],
                    Member(
                        user_id=str(u["userid"]),
                        name=str(u.get("name") or u["userid"]),
                        mobile=str(u.get("mobile") or ""),
                        email=str(u.get("email") or u.get("org_email") or ""),
                        job_number=str(u.get("job_number") or ""),
                        departments=tuple(str(d) for d in u.get("dept_id_list", [])),
                        active=bool(u.get("active", True)),
                    ),
                )
        return Directory(
            root,
            departments,
            [
                dataclasses.replace(m, leads=frozenset(leads.get(m.user_id, ())))
                for m in members.values()
            ],
        )

    def _users(self, dept_id: str) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        cursor = 0
        while True:
            page = self.raw(
                "POST",
                self.oapi("topapi/v2/user/list"),
                "topapi/v2/user/list",
                authed=True,
                json={"dept_id": int(dept_id), "cursor": cursor, "size": self.PAGE},
            ).get("result", {})
            users += page.get("list", [])
            if not page.get("has_more"):
                return users
            cursor = page["next_cursor"]


# --- Feishu (飞书) --------------------------------------------------------------------------


class Feishu(Client):
    platform = Platform.FEISHU
    default_root = "0"
    token_expired = frozenset({99991663, 99991661, 99991668, 99991671})
    rate_limited = frozenset({99991400})
    PAGE = 50

    @staticmethod
    def code_of(body: dict[str, Any]) -> Any:
        return body.get("code", 0)

    def url(self, path: str) -> str:
        return f"{settings.FEISHU_API_BASE}/open-apis/{path}"

    def _app_credentials(self) -> dict[str, str]:
        return {"app_id": settings.FEISHU_APP_ID, "app_secret": settings.FEISHU_APP_SECRET}

    def fetch_token(self) -> str:
        path = "auth/v3/tenant_access_token/internal"
        body = self.raw("POST", self.url(path), path, json=self._app_credentials())
        return str(body["tenant_access_token"])

    def authorize(self, kwargs: dict[str, Any]) -> None:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {self.token()}"}

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {"app_id": settings.FEISHU_APP_ID, "redirect_uri": redirect_uri, "state": state}
        return f"{self.url('authen/v1/authorize')}?{urlencode(query)}"

    def user_for_code(self, code: str) -> PlatformUser:
        path = "auth/v3/app_access_token/internal"
        app = self.raw("POST", self.url(path), path, json=self._app_credentials())
        grant = self.raw(
            "POST",
            self.url("authen/v1/oidc/access_token"),
            "authen/v1/oidc/access_token",
            headers={"Authorization": f"Bearer {app['app_access_token']}"},
            json={"grant_type": "authorization_code", "code": code},
        )["data"]
        info = self.raw(
            "GET",
            self.url("authen/v1/user_info"),
            "authen/v1/user_info",
            headers={"Authorization": f"Bearer {grant['access_token']}"},
        )["data"]
        return PlatformUser(
            str(info.get("user_id") or ""),
            str(info.get("mobile") or ""),
            str(info.get("email") or info.get("enterprise_email") or ""),
            str(info.get("name") or ""),
        )

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {**params, "page_size": self.PAGE, **({"page_token": token} if token else {})}
            data = self.raw("GET", self.url(path), path, authed=True, params=query).get("data", {})
            items += data.get("items") or []
            if not data.get("has_more"):
                return items
            token = data["page_token"]

    def directory(self, root: str | None = None) -> Directory:
        root = root or self.default_root
        ids = {"department_id_type": "department_id", "user_id_type": "user_id"}
        if root == "0":  # the tenant itself: its name from the tenant endpoint
            tenant = self.raw(
                "GET", self.url("tenant/v2/tenant/query"), "tenant/v2/tenant/query", authed=True
            )
            root_name = str(tenant.get("data", {}).get("tenant", {}).get("name") or "Feishu")
        else:
            path = f"contact/v3/departments/{root}"
            found = self.raw("GET", self.url(path), path, authed=True, params=ids)
            root_name = str(found["data"]["department"]["name"])
        path = f"contact/v3/departments/{root}/children"
        items = self._pages(path, {**ids, "fetch_child": "true"})
        departments = [Department(root, root_name, None)] + [
            Department(str(d["department_id"]), str(d["name"]), str(d["parent_department_id"]))
            for d in items
            if not (d.get("status") or {}).get("is_deleted")
        ]
        leader_of: dict[str, set[str]] = {}
        for d in items:
            if d.get("leader_user_id"):
                leader_of.setdefault(str(d["leader_user_id"]), set()).add(str(d["department_id"]))
        members: dict[str, Member] = {}
        for department in departments:
            users = self._pages(
                "contact/v3/users/find_by_department", {**ids, "department_id": department.id}
            )
            for u in users:
                status = u.get("status") or {}
                members.setdefault(
                    str(u["user_id"]),
                    Member(
                        user_id=str(u["user_id"]),
                        name=str(u.get("name") or u["user_id"]),
                        mobile=str(u.get("mobile") or ""),
                        email=str(u.get("email") or u.get("enterprise_email") or ""),
                        job_number=str(u.get("employee_no") or ""),
                        departments=tuple(str(d) for d in u.get("department_ids", [])),
                        leads=frozenset(leader_of.get(str(u["user_id"]), ())),
                        active=not status.get("is_resigned") and not status.get("is_frozen"),
                    ),
                )
        return Directory(root, departments, list(members.values()))


CLIENTS: dict[str, type[Client]] = {
    Platform.WECOM: WeCom,
    Platform.DINGTALK: DingTalk,
    Platform.FEISHU: Feishu,
}


def client_for(platform: str) -> Client:
    """The client of a configured platform; ``TiejunError`` for an unknown or unset one."""
    if platform not in CLIENTS:
        raise TiejunError(
            _("Unknown platform “%(platform)s”: use one of %(choices)s.")
            % {"platform": platform, "choices": ", ".join(CLIENTS)},
            field="platform",
        )
    if platform not in configured_platforms():
        raise TiejunError(
            _("%(platform)s is not configured: set its id and secret (see the README).")
            % {"platform": Platform(platform).label}
        )
    return CLIENTS[platform]()
