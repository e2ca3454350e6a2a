"""The account, calendar subscription and admin pages (issue 13): changing one's password,
logging out and an expired session from a browser, a branch's calendar link with its QR code
and rotating it, and the admin pages (users, API tokens, chats, register imports with a dry run
and a confirmation), each through FastAPI's TestClient on the demo district."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient

from monitor.accounts.model import Role
from monitor.accounts.store import SESSION_TTL, AccountStore, SignInRefused
from monitor.alerts.plan import ChatRole, Platform
from monitor.alerts.store import AlertStore
from monitor.core.rules import RulePack
from monitor.holidays import work_calendar
from monitor.http.api import api_app
from monitor.http.deps import AppState
from monitor.http.pages.admin_imports import content_error
from monitor.http.pages.calendar import qr_svg
from monitor.store import Store

# Pages over store calls the store, API and authorization tests run on both backends.
pytestmark = pytest.mark.sqlite_only

NOW = dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC)
PASSWORD = "correct horse 党建"
HTML = {"Accept": "text/html,application/xhtml+xml"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
WEBHOOK_KEY = "0b1c2d3e-very-secret-key"
ROBOT_SECRET = "SECa1b2c3d4e5f6-signing-secret"
MEETINGS_HEADER = "组织编码,会议类型,日期,应到人数,实到人数,授课人,主题,参会人员,录入日期\n"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(demo_store: Store, national: RulePack, clock: Clock) -> Iterator[TestClient]:
    accounts = AccountStore(demo_store)
    accounts.add_user("admin", PASSWORD, Role.ADMIN, None, now=NOW)
    accounts.add_user("street", PASSWORD, Role.INSPECTOR, "JD01", now=NOW)
    accounts.add_user("sec", PASSWORD, Role.SECRETARY, "JD01-06-01", now=NOW)
    accounts.add_user("other", PASSWORD, Role.SECRETARY, "JD01-01", now=NOW)
    accounts.add_user("view", PASSWORD, Role.VIEWER, "JD01-06", now=NOW)
    state = AppState(
        demo_store,
        national,
        work_calendar(warn=lambda *a: None),
        clock=clock,
        public_url="https://orglife.example.gov.cn",
    )
    with TestClient(api_app(state), client=("10.1.1.3", 5000), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the session's CSRF token."""
    client.cookies.clear()
    reply = client.post(
        "/login", data={"username": username, "password": password, "next": ""}, headers=HTML
    )
    assert reply.status_code == 303, reply.text
    return reply.headers["x-csrf-token"]


def can_sign_in(store: Store, username: str, password: str) -> bool:
    """Whether the password works (checked by the store, so the test client's session stays)."""
    try:
        AccountStore(store).authenticate(username, password, address="10.9.9.9", now=NOW)
    except SignInRefused:
        return False
    return True


# --- changing one's password, logging out, an expired session --------------------------------


def test_a_wrong_current_password_a_mismatch_or_a_short_one_change_nothing(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "sec")
    form = client.get("/account/password")
    assert form.status_code == 200
    assert 'name="current"' in form.text
    assert 'name="again"' in form.text
    cases = [
        (
            {"current": "wrong horse", "new": "new password!", "again": "new password!"},
            "当前密码不正确",
        ),
        ({"current": PASSWORD, "new": "new password!", "again": "other password"}, "两次输入"),
        ({"current": PASSWORD, "new": "short", "again": "short"}, "至少8个字符"),
    ]
    for fields, message in cases:
        reply = client.post("/account/password", data={**fields, "csrf": csrf})
        assert reply.status_code == 422, reply.text
        assert message in reply.text
        assert "new password!" not in reply.text  # a password is never put back into the form
    assert can_sign_in(demo_store, "sec", PASSWORD)
    assert not can_sign_in(demo_store, "sec", "new password!")


def test_wrong_current_passwords_count_towards_the_sign_in_throttle(client: TestClient) -> None:
    csrf = sign_in(client, "sec")
    wrong = {"current": "wrong horse", "new": "new password!", "again": "new password!"}
    for _ in range(5):
        assert client.post("/account/password", data={**wrong, "csrf": csrf}).status_code == 422
    right = {**wrong, "current": PASSWORD}
    throttled = client.post("/account/password", data={**right, "csrf": csrf})
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text


def test_a_changed_password_ends_the_other_sessions_and_keeps_this_one(
    client: TestClient, demo_store: Store
) -> None:
    accounts = AccountStore(demo_store)
    elsewhere, _ = accounts.start_session(accounts.user("sec"), now=NOW)
    csrf = sign_in(client, "sec")
    fields = {"current": PASSWORD, "new": "new password!", "again": "new password!"}
    refused = client.post("/account/password", data=fields)  # no CSRF token
    assert refused.status_code == 403
    done = client.post("/account/password", data={**fields, "csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/account/password?changed=1"
    notice = client.get(done.headers["location"])
    assert notice.status_code == 200
    assert "密码已修改" in notice.text  # this browser is still signed in
    assert accounts.session(elsewhere, now=NOW) is None
    assert can_sign_in(demo_store, "sec", "new password!")
    assert not can_sign_in(demo_store, "sec", PASSWORD)


def test_logging_out_from_the_header_form_lands_on_the_login_page(client: TestClient) -> None:
    csrf = sign_in(client, "sec")
    page = client.get("/account/password")
    assert re.search(r'<form class="logout" method="post" action="/logout">', page.text)
    out = client.post("/logout", data={"csrf": csrf}, headers=HTML)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    client.cookies.clear()  # the reply deleted it; httpx keeps cookies per domain
    again = client.get("/account/password", headers=HTML)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")


def test_an_expired_session_sends_a_page_to_the_login_form(
    client: TestClient, clock: Clock
) -> None:
    sign_in(client, "street")
    assert client.get("/calendar/JD01-06-01").status_code == 200
    clock.now = NOW + SESSION_TTL + dt.timedelta(minutes=1)
    reply = client.get("/calendar/JD01-06-01", headers=HTML)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=/calendar/JD01-06-01"


# --- the calendar subscription -----------------------------------------------------------------


def _links(page: str) -> tuple[str, str]:
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)
    webcal = re.search(r'id="webcal-url" type="text" readonly value="([^"]+)"', page)
    assert url, page
    assert webcal, page
    return html.unescape(url.group(1)), html.unescape(webcal.group(1))


def test_a_secretary_sees_the_feed_url_the_webcal_link_and_its_qr_code(
    client: TestClient,
) -> None:
    sign_in(client, "sec")
    home = client.get("/calendar")
    assert home.status_code == 303
    assert home.headers["location"] == "/calendar/JD01-06-01"
    page = client.get("/calendar/JD01-06-01")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    url, webcal = _links(page.text)
    assert re.fullmatch(r"https://orglife\.example\.gov\.cn/feeds/[A-Za-z0-9_-]{32}\.ics", url)
    assert webcal == "webcal://" + url.removeprefix("https://")
    assert f'href="{webcal}"' in page.text
    svg = str(qr_svg(webcal))
    assert svg.startswith("<svg")
    assert svg in page.text
    assert "style=" not in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/htmx.min.js" defer>']
    for words in ("iPhone", "安卓", "Outlook", "更换订阅地址"):
        assert words in page.text
    api = client.get("/api/v1/orgs/JD01-06-01/calendar").json()
    assert (api["url"], api["webcal"]) == (url, webcal)  # the API's link, the same token


def test_rotating_the_link_kills_the_old_feed_url_and_the_new_one_answers(
    client: TestClient,
) -> None:
    csrf = sign_in(client, "sec")
    old, _ = _links(client.get("/calendar/JD01-06-01").text)
    old_path = old.removeprefix("https://orglife.example.gov.cn")
    assert client.get(old_path).status_code == 200
    assert client.post("/calendar/JD01-06-01/rotate").status_code == 403  # no CSRF token
    with structlog.testing.capture_logs() as logs:
        done = client.post("/calendar/JD01-06-01/rotate", data={"csrf": csrf})
        assert done.status_code == 303
        page = client.get(done.headers["location"])
    assert "旧地址已失效" in page.text
    new, _ = _links(page.text)
    new_path = new.removeprefix("https://orglife.example.gov.cn")
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    token = new_path.removeprefix("/feeds/").removesuffix(".ics")
    assert logs
    assert all(token not in repr(entry) for entry in logs)


def test_who_may_see_and_rotate_a_calendar_link(client: TestClient) -> None:
    csrf = sign_in(client, "other")  # another branch's secretary
    assert client.get("/calendar/JD01-06-01").status_code == 404
    assert client.post("/calendar/JD01-06-01/rotate", data={"csrf": csrf}).status_code == 404
    csrf = sign_in(client, "street")  # an inspector sees the links of the subtree, cannot rotate
    page = client.get("/calendar/JD01-06-01")
    assert page.status_code == 200
    assert "更换订阅地址" not in page.text
    assert client.post("/calendar/JD01-06-01/rotate", data={"csrf": csrf}).status_code == 403
    picks = client.get("/calendar")
    assert picks.status_code == 200
    assert 'href="/calendar/JD01-06"' in picks.text
    assert client.get("/calendar?code=JD01-06").headers["location"] == "/calendar/JD01-06"
    csrf = sign_in(client, "admin")
    assert client.post("/calendar/JD01-06-01/rotate", data={"csrf": csrf}).status_code == 303
    assert client.get("/calendar/NO-SUCH-ORG").status_code == 404


# --- admin: who may open it, users ------------------------------------------------------------


ADMIN_PAGES = ("/admin", "/admin/users", "/admin/tokens", "/admin/chats", "/admin/imports")


def test_the_admin_pages_are_403_for_everyone_else(client: TestClient) -> None:
    for username in ("street", "sec", "view"):
        sign_in(client, username)
        for path in ADMIN_PAGES:
            reply = client.get(path)
            assert reply.status_code == 403, (username, path)
            assert "无权访问" in reply.text
    sign_in(client, "admin")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_an_admin_adds_a_user_who_can_then_sign_in(client: TestClient) -> None:
    csrf = sign_in(client, "admin")
    fields = {"username": "wang", "role": "secretary", "org": "JD01-02", "password": "初始密码1234"}
    done = client.post("/admin/users", data={**fields, "csrf": csrf})
    assert done.status_code == 303
    listed = client.get(done.headers["location"])
    assert "已添加用户“wang”" in listed.text
    assert "和平社区党支部" in listed.text
    sign_in(client, "wang", "初始密码1234")
    assert "和平社区党支部" in client.get("/", follow_redirects=True).text


def test_a_wrong_new_user_is_refused_next_to_its_field_with_the_form_refilled(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "admin")
    before = len(AccountStore(demo_store).users())
    cases = [
        ({"org": "NO-SUCH-ORG"}, "org", "没有编码为“NO-SUCH-ORG”的组织"),
        ({"org": ""}, "org", "需要填写所属组织"),
        ({"password": "short"}, "password", "至少8个字符"),
        ({"username": "sec"}, "username", "已存在"),
        ({"username": "has space"}, "username", "不含空格"),
        ({"role": "king"}, "role", "请选择角色"),
    ]
    base = {"username": "li", "role": "inspector", "org": "JD01-06", "password": "long enough"}
    for change, field, message in cases:
        reply = client.post("/admin/users", data={**base, **change, "csrf": csrf})
        assert reply.status_code == 422, change
        error = re.search(
            rf'<label for="{field}">.*?<p class="field-error" role="alert">([^<]*)</p>',
            reply.text,
            re.S,
        )
        assert error, (change, reply.text)
        assert message in error.group(1), change
        username = html.escape(change.get("username", base["username"]))
        assert f'value="{username}"' in reply.text  # refilled …
        assert "long enough" not in reply.text  # … but never the password
    assert len(AccountStore(demo_store).users()) == before


def test_a_user_named_like_markup_is_shown_as_text(client: TestClient) -> None:
    csrf = sign_in(client, "admin")
    fields = {"username": "<script>", "role": "viewer", "org": "JD01", "password": "long enough"}
    done = client.post("/admin/users", data={**fields, "csrf": csrf})
    assert done.status_code == 303
    listed = client.get(done.headers["location"])
    assert "<script>" not in listed.text
    assert "&lt;script&gt;" in listed.text
    assert 'action="/admin/users/%3Cscript%3E/disable"' in listed.text
    disabled = client.post("/admin/users/%3Cscript%3E/disable", data={"csrf": csrf})
    assert disabled.status_code == 303


def test_disabling_a_user_and_resetting_a_password(client: TestClient, demo_store: Store) -> None:
    csrf = sign_in(client, "admin")
    elsewhere, _ = AccountStore(demo_store).start_session(
        AccountStore(demo_store).user("view"), now=NOW
    )
    short = client.post("/admin/users/view/password", data={"password": "short", "csrf": csrf})
    assert short.status_code == 422
    assert "至少8个字符" in short.text
    assert can_sign_in(demo_store, "view", PASSWORD)
    reset = client.post(
        "/admin/users/view/password", data={"password": "new one 123", "csrf": csrf}
    )
    assert reset.status_code == 303
    assert "已重设用户“view”的密码" in client.get(reset.headers["location"]).text
    assert AccountStore(demo_store).session(elsewhere, now=NOW) is None
    assert can_sign_in(demo_store, "view", "new one 123")
    assert not can_sign_in(demo_store, "view", PASSWORD)
    done = client.post("/admin/users/view/disable", data={"csrf": csrf})
    assert done.status_code == 303
    assert "已停用" in client.get(done.headers["location"]).text
    assert not can_sign_in(demo_store, "view", "new one 123")
    assert client.post("/admin/users/nobody/disable", data={"csrf": csrf}).status_code == 404


# --- admin: API tokens, chats --------------------------------------------------------------------


def test_a_token_is_shown_once_and_never_on_the_list(client: TestClient) -> None:
    csrf = sign_in(client, "admin")
    made = client.post("/admin/tokens", data={"user": "street", "name": "区级平台", "csrf": csrf})
    assert made.status_code == 201
    assert made.headers["cache-control"] == "no-store"
    value = re.search(r'id="token-value" type="text" readonly value="(olt_[^"]+)"', made.text)
    assert value, made.text
    token = value.group(1)
    listed = client.get("/admin/tokens")
    assert "区级平台" in listed.text
    assert token not in listed.text
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/orgs/JD01", headers=bearer).status_code == 200
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', listed.text)
    assert token_id
    revoked = client.post(f"/admin/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 303
    assert client.get("/api/v1/orgs/JD01", headers=bearer).status_code == 401
    assert "已吊销" in client.get(revoked.headers["location"]).text
    nobody = client.post("/admin/tokens", data={"user": "nobody", "csrf": csrf})
    assert nobody.status_code == 422
    assert "没有用户名为“nobody”的用户" in nobody.text
    assert client.post("/admin/tokens/999999/revoke", data={"csrf": csrf}).status_code == 404


def test_chats_are_listed_without_their_secrets_and_disabled_with_a_reason(
    client: TestClient, demo_store: Store
) -> None:
    robot = AlertStore(demo_store).add_chat(
        "JD01-06-01",
        None,
        ChatRole.BRANCH,
        now=NOW,
        platform=Platform.WECOM,
        webhook=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WEBHOOK_KEY}",
        secret=ROBOT_SECRET,
    )
    csrf = sign_in(client, "admin")
    listed = client.get("/admin/chats")
    assert listed.status_code == 200
    assert "众创园区联合党支部" in listed.text
    assert "qyapi.weixin.qq.com" in listed.text
    assert WEBHOOK_KEY not in listed.text
    assert ROBOT_SECRET not in listed.text
    bare = client.post(f"/admin/chats/{robot.id}/disable", data={"reason": " ", "csrf": csrf})
    assert bare.status_code == 422
    assert "请写明停用的原因" in bare.text
    assert AlertStore(demo_store).chats(id=robot.id)[0].enabled
    done = client.post(
        f"/admin/chats/{robot.id}/disable", data={"reason": "机器人已移出群", "csrf": csrf}
    )
    assert done.status_code == 303
    assert not AlertStore(demo_store).chats(id=robot.id)[0].enabled
    after = client.get(done.headers["location"])
    assert "已停用：机器人已移出群" in after.text
    assert WEBHOOK_KEY not in after.text
    assert ROBOT_SECRET not in after.text
    assert (
        client.post("/admin/chats/424242/disable", data={"reason": "x", "csrf": csrf}).status_code
        == 404
    )


# --- admin: register imports ---------------------------------------------------------------------


def _upload(
    client: TestClient, csrf: str, name: str, data: bytes, register: str = "meetings"
) -> str:
    reply = client.post(
        "/admin/imports",
        data={"register": register, "csrf": csrf},
        files={"file": (name, data, "text/csv")},
    )
    return f"{reply.status_code}\n{reply.text}"


def _confirm_fields(page: str) -> dict[str, str]:
    fields = dict(
        re.findall(r'<input type="hidden" name="(register|confirm|name)" value="([^"]*)"', page)
    )
    assert set(fields) == {"register", "confirm", "name"}, page
    return {k: html.unescape(v) for k, v in fields.items()}


GOOD = (
    MEETINGS_HEADER
    + "JD01-06-01,支部委员会,2026-11-20,5,5,,支委会：研究年度工作,,2026-11-21\n"
    + "JD01-06-01,党小组会,2026-11-21,8,7,,党小组会：学习,,2026-11-21\n"
)
BAD = (
    MEETINGS_HEADER
    + "JD01-06-01,支部委员会,2026-11-31,5,5,,支委会：日期错,,2026-11-21\n"
    + "JD01-06-01,支部委员会,2026-11-20,5,很多,,实到人数错,,2026-11-21\n"
)


def test_an_import_is_checked_first_stores_nothing_and_shows_each_error_with_line_and_column(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "admin")
    before = demo_store.counts()
    reply = _upload(client, csrf, "会议.csv", BAD.encode())
    assert reply.startswith("200"), reply
    assert "文件有误，未导入" in reply
    assert 'name="confirm"' not in reply  # nothing to confirm
    rows = re.findall(r'<td data-label="行">(\d+)</td>\s*<td data-label="列">([^<]+)</td>', reply)
    assert ("2", "日期") in rows, rows
    assert ("3", "实到人数") in rows, rows
    assert demo_store.counts() == before


def test_a_clean_import_is_stored_only_when_confirmed(
    client: TestClient, demo_store: Store, data_dir: Path
) -> None:
    csrf = sign_in(client, "admin")
    before = demo_store.counts()
    checked = _upload(client, csrf, "会议.csv", GOOD.encode("gb18030"))  # GBK as Excel saves it
    assert checked.startswith("200"), checked
    assert "检查通过" in checked
    assert "新增 2 条" in checked
    assert demo_store.counts() == before  # the dry run stored nothing
    fields = _confirm_fields(checked)
    assert len(list((data_dir / "imports").rglob("*.csv"))) == 1  # waiting for the confirmation
    # Another session of the same admin cannot confirm it.
    other = sign_in(client, "admin")
    stale = client.post("/admin/imports", data={**fields, "csrf": other}, files={"x": ("", b"")})
    assert stale.status_code == 409
    assert "已失效" in stale.text
    assert demo_store.counts() == before
    csrf = sign_in(client, "admin")
    checked = _upload(client, csrf, "会议.csv", GOOD.encode("gb18030"))
    fields = _confirm_fields(checked)
    done = client.post("/admin/imports", data={**fields, "csrf": csrf}, files={"x": ("", b"")})
    assert done.status_code == 200, done.text
    assert "已导入" in done.text
    assert demo_store.counts()["meetings"] == before["meetings"] + 2
    # Gone once imported; the first session's copy waits on (one per session, never confirmed).
    assert len(list((data_dir / "imports").rglob("*.csv"))) == 1
    again = client.post("/admin/imports", data={**fields, "csrf": csrf}, files={"x": ("", b"")})
    assert again.status_code == 409  # a confirmation works once
    assert demo_store.counts()["meetings"] == before["meetings"] + 2


def test_a_file_named_csv_that_is_not_text_is_refused(
    client: TestClient, demo_store: Store
) -> None:
    csrf = sign_in(client, "admin")
    before = demo_store.counts()
    reply = _upload(client, csrf, "会议.csv", PNG)
    assert reply.startswith("415"), reply
    assert "不是 CSV 文本" in reply
    fake = _upload(client, csrf, "orgs.xlsx", GOOD.encode(), register="orgs")
    assert fake.startswith("415")
    assert "不是 .xlsx 工作簿" in fake
    exe = _upload(client, csrf, "orgs.exe", GOOD.encode(), register="orgs")
    assert exe.startswith("415")
    huge = client.post(
        "/admin/imports",
        content=b"x",
        headers={"Content-Length": str(30 * 1024 * 1024), "Content-Type": "multipart/form-data"},
    )
    assert huge.status_code == 413  # refused before the body is read
    assert "不能超过 20 MB" in huge.text
    assert demo_store.counts() == before


@pytest.mark.parametrize(
    ("name", "data", "refused"),
    [
        ("a.csv", "组织编码,名称\nA,甲\n".encode(), False),
        ("a.csv", "组织编码,名称\nA,甲\n".encode("gb18030"), False),
        ("a.CSV", "\ufeff组织编码\tx\r\n".encode(), False),
        ("a.csv", PNG, True),
        ("a.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        ("a.csv", b"%PDF-1.7\n\x00\x01", True),
        ("a.csv", b"", True),
        ("a.xlsx", b"PK\x03\x04rest", False),
        ("a.xlsx", b"code,name\n", True),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", False),
        ("a.xls", b"PK\x03\x04rest", True),
        ("a.txt", b"code,name\n", True),
    ],
)
def test_an_upload_is_judged_by_its_bytes(name: str, data: bytes, refused: bool) -> None:
    assert (content_error(name, data) is not None) is refused
