"""The pages in a real browser: Playwright for Python driving Debian's chromium (/usr/bin/chromium),
against the real engine behind uvicorn. Screenshots are kept in tests/web/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from web_harness import ARTIFACTS, STAFF_NAME, STAFF_PASSWORD

HITECH = "我们去年被认定为国家高新技术企业，能拿多少"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">*_[链接](javascript:alert(1))&amp;'


def _posted(response) -> bool:
    return response.request.method == "POST" and response.url.split("?")[0].endswith(("/chat", "/chat/reset"))


def send(page, text: str) -> None:
    page.fill("#message", text)
    with page.expect_response(_posted):
        page.press("#message", "Enter")
    expect(page.locator("#conversation")).to_have_attribute("aria-busy", "false")


def press(page, label: str) -> None:
    button = page.locator("#latest button[name=choice]", has_text=re.compile("^" + re.escape(label) + "$"))
    with page.expect_response(_posted):
        button.click()
    expect(page.locator("#conversation")).to_have_attribute("aria-busy", "false")


def no_js_errors(page) -> None:
    assert not [e for e in page.js_errors if "favicon" not in e], page.js_errors


def test_the_whole_guided_form_by_clicking(page):
    page.goto("/")
    send(page, "我想看看我们能享受哪些政策")
    expect(page.locator("#latest .asks, #latest .text").first).to_contain_text("哪一类")
    press(page, "企业")
    # multi-select: toggles with aria-pressed, a deselect, then 完成
    for label in ("国家高新技术企业", "国家科技型中小企业", "自治区科技领军企业", "国家企业技术中心"):
        press(page, label)
        expect(page.locator("#latest button.toggle", has_text=label)).to_have_attribute("aria-pressed", "true")
    press(page, "国家科技型中小企业")  # pressed again: deselected
    expect(page.locator("#latest button.toggle", has_text="国家科技型中小企业")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("li.msg.user.chip")).to_have_count(5)  # the presses, as chips
    press(page, "完成")
    table = page.locator("#latest table.benefits")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("国家高新技术企业奖补")
    expect(table).to_contain_text("30万元")
    expect(table).to_contain_text("定额")  # basis in words
    expect(table).to_contain_text("一次性")  # period
    expect(page.locator("#latest .totals")).to_contain_text("430万元")
    expect(page.locator("#latest .depts")).to_contain_text("市科学技术局")
    expect(page.locator("#latest button[name=choice]")).to_have_count(0)  # nothing left to press
    # the conversation survives a reload (kept on the server for this browser's cookie)
    page.reload()
    expect(page.locator("#latest .totals")).to_contain_text("430万元")
    no_js_errors(page)


def test_one_shot_question_with_a_citation_opened(page):
    page.goto("/")
    send(page, HITECH)
    latest = page.locator("#latest")
    expect(latest.locator(".text")).to_contain_text("30万元")
    cite = latest.locator("details.cite").first
    expect(cite.locator("summary")).to_contain_text("15.2")
    expect(cite.locator(".quote")).to_be_hidden()
    cite.locator("summary").click()
    expect(cite.locator(".quote")).to_be_visible()
    expect(cite.locator(".quote")).to_contain_text("对符合一定条件的国家高新技术企业给予30万元科研经费奖补")
    with page.expect_navigation():
        cite.locator("a.more").click()
    assert re.search(r"/articles/15#c-15\.2$", page.url)
    expect(page.locator("li[id='c-15.2']")).to_contain_text("30万元")
    no_js_errors(page)


def test_a_script_payload_is_shown_as_text(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/")
    send(page, XSS)
    expect(page.locator("li.msg.user .text").last).to_have_text(XSS)
    page.reload()  # and again when the server renders the transcript
    expect(page.locator("li.msg.user .text").last).to_have_text(XSS)
    assert page.evaluate("window.__xss") is None and not dialogs
    assert page.locator("#conversation img").count() == 0 and page.locator("#conversation script").count() == 0
    no_js_errors(page)


def test_keyboard_only(page):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link first
    expect(page.locator("a.skip")).to_be_focused()
    page.locator("#message").focus()
    page.keyboard.type("我想看看我们能享受哪些政策")
    page.keyboard.press("Enter")
    expect(page.locator("#latest button[name=choice]").first).to_be_visible()
    expect(page.locator("#message")).to_be_focused()  # typing goes on where it was
    page.keyboard.press("Shift+Tab")  # back into the options
    focused = page.evaluate("document.activeElement.name")
    assert focused == "choice"
    label = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    expect(page.locator("li.msg.user .text").last).to_have_text(label)
    assert page.evaluate("document.activeElement.name") == "choice"  # focus stays among the options
    # Space toggles a multi-select option from the keyboard too
    page.keyboard.press("Space")
    expect(page.locator("#conversation")).to_have_attribute("aria-busy", "false")
    no_js_errors(page)


def test_restart_and_delete_my_data(page):
    page.goto("/")
    send(page, "我想看看我们能享受哪些政策")
    page.get_by_role("button", name="重新开始").click()
    expect(page.locator("#latest .text")).not_to_contain_text("哪一类")
    page.locator("details.delete summary").click()
    page.get_by_role("button", name="确认删除").click()
    expect(page.locator("p.notice")).to_contain_text("已全部删除")
    expect(page.locator("li.msg.user")).to_have_count(0)
    expect(page.locator("li.welcome")).to_be_visible()


def test_phone_width_screenshot(browser, base_url, artifacts):
    context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 812}, locale="zh-CN",
                                  device_scale_factor=1)
    page = context.new_page()
    page.js_errors = []
    page.goto("/")
    send(page, "我想看看我们能享受哪些政策")
    press(page, "企业")
    press(page, "国家高新技术企业")
    press(page, "自治区科技领军企业")
    press(page, "完成")
    page.locator("#latest details.cite summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    shot = artifacts / "chat-375.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    context.close()


def login(page, name=STAFF_NAME, password=STAFF_PASSWORD):
    page.goto("/copilot")
    expect(page).to_have_url(re.compile(r"/copilot/login"))
    page.fill("#name", name)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def test_copilot_login_paste_draft_copy(page, artifacts):
    login(page)
    expect(page.locator("h1")).to_have_text("新建案例")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["pb_staff"]["httpOnly"] and cookies["pb_staff"]["sameSite"] == "Strict"
    assert "pb_login" not in cookies
    page.fill("#paste", "客户：你好\n客服：您好，请问有什么可以帮您？\n客户：" + HITECH)
    page.get_by_role("button", name="生成答复草稿").click()
    expect(page.locator("h1")).to_contain_text("案例")
    draft = page.locator("#draft")
    expect(draft).to_have_value(re.compile("30万元"))
    expect(page.locator(".facts details.cite .quote").first).to_contain_text("30万元科研经费奖补")
    expect(page.locator(".facts details.cite summary").first).to_contain_text("15.2")
    expect(page.locator(".facts table.benefits")).to_contain_text("定额 30万元")
    expect(page.locator(".related")).to_contain_text("支持科技企业")
    page.get_by_role("button", name="复制草稿").click()
    expect(page.locator(".copy-status")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == draft.input_value()
    # the history shows only the customer's messages, one turn each
    expect(page.locator(".history-list > li")).to_have_count(2)
    # edit and keep the draft, then export the case
    draft.fill("您好！按第（十五）条 15.2，贵企业可获30万元科研经费奖补。<b>请</b>备齐材料。")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator("p.notice")).to_have_text("草稿已保存。")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Markdown").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert "# 咨询案例" in text and "15.2" in text and "\\<b\\>请\\</b\\>" in text
    # add a fact and recompute: a further turn of the case
    page.fill("#fact", "我们还被认定为自治区科技领军企业")
    page.get_by_role("button", name="补充并重新测算").click()
    expect(page.locator(".history-list > li")).to_have_count(3)
    expect(page.locator("#draft")).to_have_value(re.compile("100万元"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(artifacts / "copilot.png"), full_page=True)
    no_js_errors(page)


def test_copilot_wrong_password_then_lockout(page, server):
    _, app = server
    app.state.web.accounts.add("li", "right-password-1")
    for left in (4, 3, 2, 1):
        login(page, "li", "wrong-password")
        expect(page.locator("#login-message")).to_contain_text(f"再错 {left} 次")
    login(page, "li", "wrong-password")
    expect(page.locator("#login-message")).to_contain_text("锁定")
    login(page, "li", "right-password-1")  # even the right password, while locked
    expect(page.locator("#login-message")).to_contain_text("锁定")
    expect(page).to_have_url(re.compile(r"/copilot/login"))


def test_docs_render_offline_under_the_csp(page):
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("policybot")
    expect(page.locator(".swagger-ui")).to_contain_text("/api/turn")
    no_js_errors(page)


@pytest.mark.parametrize("path", ["/", "/articles", "/articles/17", "/copilot/login"])
def test_pages_load_without_errors(page, path):
    page.goto(path)
    expect(page.locator("main")).to_be_visible()
    no_js_errors(page)


def test_artifact_dir_is_where_the_readme_says():
    assert ARTIFACTS.name == "artifacts" and ARTIFACTS.parent.name == "web"
