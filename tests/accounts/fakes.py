"""Loopback fakes of WeCom, DingTalk and Feishu: a real HTTP server in a thread answering each
documented endpoint Tiejun calls, with the platforms' response shapes, paging and error codes.

One server plays all three (each platform's paths are distinct). Its directory is plain data;
tests inject faults: the next call of an endpoint answers an expired token, a rate limit or any
error code.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Dept:
    id: str
    name: str
    parent: str | None
    leaders: list[str] = field(default_factory=list)


@dataclass
class User:
    userid: str
    name: str
    depts: list[str]
    mobile: str = ""
    email: str = ""
    job_number: str = ""
    active: bool = True


# Each platform's "your token is no good" and "slow down" codes, as documented.
EXPIRED = {"wecom": 42001, "dingtalk": 42001, "feishu": 99991663}
RATE = {"wecom": 45009, "dingtalk": 90018, "feishu": 99991400}


@dataclass
class FakeState:
    depts: list[Dept] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # sign-in code → userid
    tokens: set[str] = field(default_factory=set)
    faults: dict[str, list[Any]] = field(default_factory=dict)  # endpoint → codes to answer next
    calls: list[str] = field(default_factory=list)
    page_size: int = 2  # small pages, so paging is exercised
    # App messages the platforms took: {"platform", "user", "text", "agent", "id"}
    sent: list[dict[str, Any]] = field(default_factory=list)

    def issue_code(self, userid: str) -> str:
        code = "code-" + secrets.token_hex(6)
        self.codes[code] = userid
        return code

    def fail_next(self, endpoint: str, *codes: Any) -> None:
        self.faults.setdefault(endpoint, []).extend(codes)

    def children(self, dept_id: str) -> list[Dept]:
        return [d for d in self.depts if d.parent == dept_id]

    def subtree(self, dept_id: str) -> list[Dept]:
        out = [d for d in self.depts if d.id == dept_id]
        for child in self.children(dept_id):
            out += self.subtree(child.id)
        return out

    def in_dept(self, dept_id: str) -> list[User]:
        return [u for u in self.users if dept_id in u.depts]

    def leads(self, user: User, dept_id: str) -> bool:
        return any(d.id == dept_id and user.userid in d.leaders for d in self.depts)


def _page(items: list[Any], token: str, size: int) -> tuple[list[Any], str]:
    start = int(token or 0)
    chunk = items[start : start + size]
    rest = start + size < len(items)
    return chunk, str(start + size) if rest else ""


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    @property
    def state(self) -> FakeState:
        return self.server.state

    def _send(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = self._body() if method == "POST" else {}
        self.state.calls.append(path)
        platform = (
            "wecom"
            if path.startswith(("/cgi-bin/", "/wwlogin/"))
            else "feishu"
            if path.startswith("/open-apis/")
            else "dingtalk"
        )
        fault = self.state.faults.get(path)
        if fault:
            code = fault.pop(0)
            return self._fault(platform, code)
        handler = ROUTES.get(path)
        if handler is None and path.startswith("/open-apis/contact/v3/departments/"):
            handler = feishu_departments
        if handler is None:
            return self._send({"errcode": 404, "errmsg": f"no such path {path}"}, 404)
        handler(self, query, body)

    def _fault(self, platform: str, code: Any) -> None:
        if code == "http429":
            return self._send({"code": 99991400, "msg": "too many requests"}, 429)
        key = "code" if platform == "feishu" else "errcode"
        self._send({key: code, ("msg" if platform == "feishu" else "errmsg"): f"fault {code}"})

    # -- token checks, as each platform does --

    def token_ok(self, platform: str, token: str | None) -> bool:
        if token in self.state.tokens:
            return True
        if platform == "feishu":
            self._send({"code": EXPIRED[platform], "msg": "Invalid access token for authorization"})
        else:
            self._send({"errcode": EXPIRED[platform], "errmsg": "access_token expired"})
        return False

    def new_token(self) -> str:
        token = "tok-" + secrets.token_hex(8)
        self.state.tokens.add(token)
        return token

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


# --- WeCom --------------------------------------------------------------------------------


def wecom_gettoken(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if q.get("corpsecret") != h.server.secrets["wecom"]:
        return h._send({"errcode": 40001, "errmsg": "invalid credential"})
    h._send({"errcode": 0, "errmsg": "ok", "access_token": h.new_token(), "expires_in": 7200})


def wecom_login(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    """The QR-login page: the fake "scans" as the user the test chose, and goes back."""
    userid = h.server.next_user["wecom"]
    code = h.state.issue_code(userid)
    h._redirect(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")


def wecom_getuserinfo(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("wecom", q.get("access_token")):
        return
    userid = h.state.codes.pop(q.get("code", ""), None)
    if userid is None:
        return h._send({"errcode": 40029, "errmsg": "invalid code"})
    if userid.startswith("openid:"):  # not a member: WeCom answers an openid only
        return h._send({"errcode": 0, "errmsg": "ok", "openid": userid[7:]})
    h._send({"errcode": 0, "errmsg": "ok", "userid": userid, "user_ticket": "t"})


def _wecom_user(h: Handler, u: User) -> dict[str, Any]:
    return {
        "userid": u.userid,
        "name": u.name,
        "department": [int(d) for d in u.depts],
        "is_leader_in_dept": [1 if h.state.leads(u, d) else 0 for d in u.depts],
        "main_department": int(u.depts[0]),
        "mobile": u.mobile,
        "email": u.email,
        "status": 1 if u.active else 5,
    }


def wecom_user_get(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("wecom", q.get("access_token")):
        return
    user = next((u for u in h.state.users if u.userid == q.get("userid")), None)
    if user is None:
        return h._send({"errcode": 60111, "errmsg": "userid not found"})
    h._send({"errcode": 0, "errmsg": "ok", **_wecom_user(h, user)})


def wecom_department_list(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("wecom", q.get("access_token")):
        return
    depts = h.state.subtree(q.get("id", "1"))
    h._send(
        {
            "errcode": 0,
            "errmsg": "ok",
            "department": [
                {
                    "id": int(d.id),
                    "name": d.name,
                    "parentid": int(d.parent or 0),
                    "order": 100 - i,
                    "department_leader": d.leaders,
                }
                for i, d in enumerate(depts)
            ],
        }
    )


def wecom_user_list(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("wecom", q.get("access_token")):
        return
    users = h.state.in_dept(q["department_id"])
    h._send({"errcode": 0, "errmsg": "ok", "userlist": [_wecom_user(h, u) for u in users]})


# --- DingTalk -----------------------------------------------------------------------------


def ding_gettoken(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if q.get("appsecret") != h.server.secrets["dingtalk"]:
        return h._send({"errcode": 40089, "errmsg": "invalid appkey or appsecret"})
    h._send({"errcode": 0, "errmsg": "ok", "access_token": h.new_token(), "expires_in": 7200})


def ding_login(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    code = h.state.issue_code(h.server.next_user["dingtalk"])
    h._redirect(f"{q['redirect_uri']}?{urlencode({'authCode': code, 'state': q['state']})}")


def ding_user_token(h: Handler, _q: dict[str, str], b: dict[str, Any]) -> None:
    userid = h.state.codes.pop(b.get("code", ""), None)
    if userid is None or b.get("clientSecret") != h.server.secrets["dingtalk"]:
        return h._send({"code": "InvalidAuthentication", "message": "code invalid"}, 400)
    token = h.new_token()
    h.server.user_tokens[token] = userid
    h._send({"accessToken": token, "refreshToken": "r", "expireIn": 7200, "corpId": "ding1"})


def ding_me(h: Handler, _q: dict[str, str], _b: dict[str, Any]) -> None:
    userid = h.server.user_tokens.get(h.headers.get("x-acs-dingtalk-access-token", ""))
    user = next((u for u in h.state.users if u.userid == userid), None)
    if user is None:
        return h._send({"code": "InvalidAuthentication", "message": "token invalid"}, 401)
    h._send(
        {
            "nick": user.name,
            "unionId": "union-" + user.userid,
            "openId": "open-" + user.userid,
            "mobile": user.mobile,
            "stateCode": "86",
            "email": user.email,
        }
    )


def ding_getbyunionid(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("dingtalk", q.get("access_token")):
        return
    userid = str(b.get("unionid", "")).removeprefix("union-")
    if not any(u.userid == userid for u in h.state.users):
        return h._send({"errcode": 60121, "errmsg": "找不到该用户"})
    h._send({"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": userid}})


def ding_department_get(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("dingtalk", q.get("access_token")):
        return
    dept = next(d for d in h.state.depts if d.id == str(b["dept_id"]))
    result = {"dept_id": int(dept.id), "name": dept.name, "dept_manager_userid_list": dept.leaders}
    h._send({"errcode": 0, "errmsg": "ok", "result": result, "request_id": "r"})


def ding_listsub(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("dingtalk", q.get("access_token")):
        return
    children = h.state.children(str(b["dept_id"]))
    result = [
        {"dept_id": int(d.id), "name": d.name, "parent_id": int(b["dept_id"])} for d in children
    ]
    h._send({"errcode": 0, "errmsg": "ok", "result": result, "request_id": "r"})


def ding_user_list(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("dingtalk", q.get("access_token")):
        return
    dept = str(b["dept_id"])
    users, nxt = _page(
        h.state.in_dept(dept), str(b.get("cursor") or 0), min(b["size"], h.state.page_size)
    )
    result: dict[str, Any] = {
        "has_more": bool(nxt),
        "list": [
            {
                "userid": u.userid,
                "unionid": "union-" + u.userid,
                "name": u.name,
                "mobile": u.mobile,
                "email": u.email,
                "job_number": u.job_number,
                "dept_id_list": [int(d) for d in u.depts],
                "leader": h.state.leads(u, dept),
                "active": u.active,
            }
            for u in users
        ],
    }
    if nxt:
        result["next_cursor"] = int(nxt)
    h._send({"errcode": 0, "errmsg": "ok", "result": result, "request_id": "r"})


# --- Feishu -------------------------------------------------------------------------------


def fs_tenant_token(h: Handler, _q: dict[str, str], b: dict[str, Any]) -> None:
    if b.get("app_secret") != h.server.secrets["feishu"]:
        return h._send({"code": 10014, "msg": "app secret invalid"})
    h._send({"code": 0, "msg": "ok", "tenant_access_token": h.new_token(), "expire": 7200})


def fs_app_token(h: Handler, _q: dict[str, str], b: dict[str, Any]) -> None:
    if b.get("app_secret") != h.server.secrets["feishu"]:
        return h._send({"code": 10014, "msg": "app secret invalid"})
    token = h.new_token()
    h._send(
        {
            "code": 0,
            "msg": "ok",
            "app_access_token": token,
            "tenant_access_token": token,
            "expire": 7200,
        }
    )


def fs_authorize(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    code = h.state.issue_code(h.server.next_user["feishu"])
    h._redirect(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")


def fs_oidc_token(h: Handler, _q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("feishu", h.bearer()):
        return
    userid = h.state.codes.pop(b.get("code", ""), None)
    if userid is None:
        return h._send({"code": 20003, "msg": "code invalid"})
    token = "u-" + secrets.token_hex(8)
    h.server.user_tokens[token] = userid
    h._send(
        {
            "code": 0,
            "msg": "success",
            "data": {"access_token": token, "token_type": "Bearer", "expires_in": 6900},
        }
    )


def fs_user_info(h: Handler, _q: dict[str, str], _b: dict[str, Any]) -> None:
    userid = h.server.user_tokens.get(h.bearer() or "")
    user = next((u for u in h.state.users if u.userid == userid), None)
    if user is None:
        return h._send({"code": 99991663, "msg": "invalid user token"})
    data = {
        "name": user.name,
        "open_id": "ou_" + user.userid,
        "union_id": "on_" + user.userid,
        "user_id": user.userid,
        "email": user.email,
        "mobile": user.mobile,
        "employee_no": user.job_number,
        "tenant_key": "t1",
    }
    h._send({"code": 0, "msg": "success", "data": data})


def fs_tenant(h: Handler, _q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("feishu", h.bearer()):
        return
    root = next(d for d in h.state.depts if d.parent is None)
    h._send(
        {"code": 0, "msg": "success", "data": {"tenant": {"name": root.name, "tenant_key": "t1"}}}
    )


def feishu_departments(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("feishu", h.bearer()):
        return
    rest = urlsplit(h.path).path.removeprefix("/open-apis/contact/v3/departments/")
    if rest.endswith("/children"):
        parent = rest.removesuffix("/children")
        root_id = next(d.id for d in h.state.depts if d.parent is None)
        start = root_id if parent == "0" else parent
        items = [d for d in h.state.subtree(start) if d.id != start]
        chunk, nxt = _page(
            items, q.get("page_token", ""), min(int(q["page_size"]), h.state.page_size)
        )
        data = {
            "has_more": bool(nxt),
            "items": [
                {
                    "name": d.name,
                    "department_id": d.id,
                    "open_department_id": "od-" + d.id,
                    "parent_department_id": "0" if d.parent == root_id else d.parent,
                    "leader_user_id": d.leaders[0] if d.leaders else "",
                    "status": {"is_deleted": False},
                }
                for d in chunk
            ],
        }
        if nxt:
            data["page_token"] = nxt
        return h._send({"code": 0, "msg": "success", "data": data})
    dept = next(d for d in h.state.depts if d.id == rest)
    h._send(
        {
            "code": 0,
            "msg": "success",
            "data": {"department": {"name": dept.name, "department_id": dept.id}},
        }
    )


def fs_find_by_department(h: Handler, q: dict[str, str], _b: dict[str, Any]) -> None:
    if not h.token_ok("feishu", h.bearer()):
        return
    root_id = next(d.id for d in h.state.depts if d.parent is None)
    dept = root_id if q["department_id"] == "0" else q["department_id"]
    users, nxt = _page(
        h.state.in_dept(dept), q.get("page_token", ""), min(int(q["page_size"]), h.state.page_size)
    )
    data: dict[str, Any] = {
        "has_more": bool(nxt),
        "items": [
            {
                "user_id": u.userid,
                "open_id": "ou_" + u.userid,
                "name": u.name,
                "mobile": u.mobile,
                "email": u.email,
                "employee_no": u.job_number,
                "department_ids": ["0" if d == root_id else d for d in u.depts],
                "status": {"is_activated": True, "is_resigned": not u.active, "is_frozen": False},
            }
            for u in users
        ],
    }
    if nxt:
        data["page_token"] = nxt
    h._send({"code": 0, "msg": "success", "data": data})


ROUTES = {
    "/cgi-bin/gettoken": wecom_gettoken,
    "/wwlogin/sso/login": wecom_login,
    "/cgi-bin/auth/getuserinfo": wecom_getuserinfo,
    "/cgi-bin/user/get": wecom_user_get,
    "/cgi-bin/department/list": wecom_department_list,
    "/cgi-bin/user/list": wecom_user_list,
    "/gettoken": ding_gettoken,
    "/oauth2/auth": ding_login,
    "/v1.0/oauth2/userAccessToken": ding_user_token,
    "/v1.0/contact/users/me": ding_me,
    "/topapi/user/getbyunionid": ding_getbyunionid,
    "/topapi/v2/department/get": ding_department_get,
    "/topapi/v2/department/listsub": ding_listsub,
    "/topapi/v2/user/list": ding_user_list,
    "/open-apis/auth/v3/tenant_access_token/internal": fs_tenant_token,
    "/open-apis/auth/v3/app_access_token/internal": fs_app_token,
    "/open-apis/authen/v1/authorize": fs_authorize,
    "/open-apis/authen/v1/oidc/access_token": fs_oidc_token,
    "/open-apis/authen/v1/user_info": fs_user_info,
    "/open-apis/tenant/v2/tenant/query": fs_tenant,
    "/open-apis/contact/v3/users/find_by_department": fs_find_by_department,
}


# --- app messages (the personal message to one person) ------------------------------------

AGENTS = {"wecom": "1000002", "dingtalk": "3000001"}


def _known(h: Handler, userid: str) -> bool:
    return any(u.userid == userid and u.active for u in h.state.users)


def _took(h: Handler, platform: str, user: str, text: str, agent: Any, **extra: Any) -> str:
    message_id = f"{platform}-msg-{len(h.state.sent) + 1}"
    h.state.sent.append(
        {"platform": platform, "user": user, "text": text, "agent": agent, "id": message_id} | extra
    )
    return message_id


def wecom_message_send(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("wecom", q.get("access_token")):
        return
    if str(b.get("agentid")) != AGENTS["wecom"]:
        return h._send({"errcode": 40056, "errmsg": "invalid agentid"})
    if b.get("msgtype") != "text" or not b.get("text", {}).get("content"):
        return h._send({"errcode": 44004, "errmsg": "empty content"})
    users = [u for u in str(b.get("touser", "")).split("|") if u]
    known = [u for u in users if _known(h, u)]
    if not known:
        return h._send({"errcode": 81013, "errmsg": "user & party & tag all invalid"})
    text = b["text"]["content"]
    msgid = ""
    for user in known:
        earlier = b.get("enable_duplicate_check") and next(
            (
                m
                for m in h.state.sent
                if m["platform"] == "wecom" and m["user"] == user and m["text"] == text
            ),
            None,
        )
        msgid = earlier["id"] if earlier else _took(h, "wecom", user, text, b["agentid"])
    invalid = "|".join(u for u in users if u not in known)
    h._send({"errcode": 0, "errmsg": "ok", "invaliduser": invalid, "msgid": msgid})


def ding_asyncsend(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("dingtalk", q.get("access_token")):
        return
    if str(b.get("agent_id")) != AGENTS["dingtalk"]:
        return h._send({"errcode": 400023, "errmsg": "agentId invalid"})
    msg = b.get("msg") or {}
    if msg.get("msgtype") != "text" or not msg.get("text", {}).get("content"):
        return h._send({"errcode": 40035, "errmsg": "msg invalid"})
    users = [u for u in str(b.get("userid_list", "")).split(",") if u]
    if not users or len(users) > 100:
        return h._send({"errcode": 40035, "errmsg": "userid_list invalid"})
    for user in users:
        if _known(h, user):  # DingTalk accepts the task; an unknown user just gets nothing
            _took(h, "dingtalk", user, msg["text"]["content"], b["agent_id"])
    h._send({"errcode": 0, "errmsg": "ok", "task_id": 1000 + len(h.state.sent)})


def fs_message_create(h: Handler, q: dict[str, str], b: dict[str, Any]) -> None:
    if not h.token_ok("feishu", h.bearer()):
        return
    if q.get("receive_id_type") != "user_id":
        return h._send({"code": 99992402, "msg": "field validation failed"})
    if b.get("msg_type") != "text":
        return h._send({"code": 230001, "msg": "invalid message content"})
    user = str(b.get("receive_id", ""))
    if not _known(h, user):
        return h._send({"code": 230013, "msg": "Bot has NO availability to this user."})
    uuid = b.get("uuid")
    again = next(
        (m for m in h.state.sent if m["platform"] == "feishu" and uuid and m.get("uuid") == uuid),
        None,
    )
    text = json.loads(b["content"])["text"]
    message_id = again["id"] if again else _took(h, "feishu", user, text, None, uuid=uuid)
    h._send({"code": 0, "msg": "success", "data": {"message_id": message_id, "msg_type": "text"}})


ROUTES.update(
    {
        "/cgi-bin/message/send": wecom_message_send,
        "/topapi/message/corpconversation/asyncsend_v2": ding_asyncsend,
        "/open-apis/im/v1/messages": fs_message_create,
    }
)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = FakeState()
        self.secrets = {"wecom": "wx-secret", "dingtalk": "dd-secret", "feishu": "fs-secret"}
        self.next_user = {"wecom": "", "dingtalk": "", "feishu": ""}
        self.user_tokens: dict[str, str] = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


def configure(settings: Any, fake: FakeServer) -> None:
    """Point every platform at the fake and configure all three."""
    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID = "ww-corp", "1000002"
    settings.WECOM_SECRET = fake.secrets["wecom"]
    settings.WECOM_API_BASE = settings.WECOM_LOGIN_BASE = fake.url
    settings.DINGTALK_CLIENT_ID, settings.DINGTALK_CLIENT_SECRET = (
        "ding-app",
        fake.secrets["dingtalk"],
    )
    settings.DINGTALK_API_BASE = settings.DINGTALK_OAPI_BASE = fake.url
    settings.DINGTALK_LOGIN_BASE = fake.url
    settings.FEISHU_APP_ID, settings.FEISHU_APP_SECRET = "cli_app", fake.secrets["feishu"]
    settings.FEISHU_API_BASE = fake.url
    settings.DIRECTORY_BACKOFF_SECONDS = 0.001
    settings.DINGTALK_AGENT_ID = AGENTS["dingtalk"]


def sample_company(state: FakeState) -> None:
    """A small company: HQ > 华东大区 > 杭州分公司 > teams 一组 (with a sub-group) and 二组."""
    state.depts = [
        Dept("1", "铁军科技", None, ["boss"]),
        Dept("2", "华东大区", "1", ["rm"]),
        Dept("3", "杭州分公司", "2", ["bm"]),
        Dept("4", "杭州一组", "3", ["sup1"]),
        Dept("5", "杭州二组", "3", []),
        Dept("6", "一组新人小组", "4", []),
    ]
    state.users = [
        User("boss", "老板", ["1"], "13900000001", "boss@corp.cn", "E001"),
        User("rm", "大区经理", ["2"], "13900000002", "rm@corp.cn", "E002"),
        User("bm", "分公司经理", ["3"], "13900000003", "bm@corp.cn", "E003"),
        User("sup1", "一组主管", ["4"], "13900000004", "sup1@corp.cn", "E004"),
        User("zhang", "张三", ["4"], "13900000005", "zhang@corp.cn", "E005"),
        User("li", "李四", ["5"], "13900000006", "li@corp.cn", ""),
        User("wang", "王五", ["6"], "13900000007", "wang@corp.cn", "E007"),
    ]
