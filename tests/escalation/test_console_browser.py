"""The counsellor console driven in a real headless Chromium against the real app.

1. A child writes a high-risk message on the web chat while a counsellor has the console open:
   the queue updates live, with banner, highlight and sound; the counsellor claims, replies (the
   child's chat history shows it), sees the child's answer arrive live, and closes with the case
   form (a Case row is recorded).
2. A supervisor: the unclaimed-high-risk alert, every active chat with who has it, the read-only
   monitor, reassigning, a referral without consent (emergency override), a session ended on the
   server sending the console back to sign-in.
3. A counsellor's tools: photo and voice placeholders, canned replies, notes, "the bot got it
   wrong", transfer with a note, a claim lost to a colleague (409), signing out.

Skipped only when Chromium is missing outside CI; under CI=true it must run.
HELPLINE_SCREENSHOTS=1 also writes docs/console.png (so a normal run never rewrites the file);
HELPLINE_SCREENSHOT_DIR=/some/dir keeps a picture of each step.
"""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.keys import Keys
from sqlalchemy import delete, select

from store.models import Case, Conversation, NluFeedback, StaffSession
from tests.conftest import IN_CI
from tests.escalation.browser.helpers import (
    HIGH_RISK_TEXT,
    PASSWORD,
    Child,
    Staff,
    add_users,
    build_app,
    click,
    console_errors,
    css,
    execute,
    query,
    run,
    screenshot,
    select_value,
    sign_in,
    snap,
    transcript_texts,
    visible,
    wait_for,
)
from tests.escalation.browser.live import LiveServer, find_chromium, start_chromium
from tests.support import make_settings

CHROMIUM = find_chromium()


@pytest.fixture
def live_app(sqlite_url, tmp_path, request):
    overrides = getattr(request, "param", {}) or {}
    settings = make_settings(sqlite_url, tmp_path, **overrides)
    app = build_app(settings)
    server = LiveServer(app).start()
    server.container = app.state.container
    yield server
    server.stop()


@pytest.fixture
def app_url(live_app, sqlite_url):
    return live_app.url, sqlite_url


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("CI must have chromium and chromium-driver installed")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    driver = start_chromium(*CHROMIUM, tmp_path / "chromium-profile")
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


# -- the tests ---------------------------------------------------------------------------------


def test_counsellor_is_alerted_claims_replies_and_closes_with_the_case_form(app_url, browser):
    base_url, database_url = app_url
    users = run(add_users(database_url, {"leyla": "counsellor"}))

    sign_in(browser, base_url, "leyla")
    browser.find_element("id", "sound-toggle").click()  # the click browsers need for sound
    assert browser.find_element("id", "sound-toggle").get_attribute("aria-pressed") == "true"
    browser.find_element("id", "shift-toggle").click()
    wait_for(lambda: "on shift" in browser.find_element("id", "toast").text, "the shift toast")
    beeps_before = int(browser.find_element("tag name", "body").get_attribute("data-beeps") or 0)

    # A child writes while the console is open: the queue updates live (no reload).
    child = Child(base_url)
    other_child = Child(base_url)
    other_child.say("salam, sualim var")
    child.say(HIGH_RISK_TEXT)
    wait_for(
        lambda: css(browser, "#queue-list li[data-risk=imminent], #queue-list li[data-risk=high]"),
        "the high-risk chat in the queue",
    )
    first = css(browser, "#queue-list li")[0]
    assert first.get_attribute("data-risk") in ("high", "imminent"), "urgent chats come first"
    assert visible(browser, "risk-banner")
    assert "waiting" in browser.find_element("id", "risk-banner-text").text
    snap(browser, "counsellor-1-alert")
    wait_for(
        lambda: (
            int(browser.find_element("tag name", "body").get_attribute("data-beeps") or 0)
            > beeps_before
        ),
        "the audible alert",
    )

    # Claim: the chat opens with the whole transcript and the bot's reading of the message.
    click(browser, "#queue-list li:first-child button.claim", "the claim button")
    wait_for(lambda: visible(browser, "reply-form"), "the claimed chat with a reply box")
    wait_for(
        lambda: any(HIGH_RISK_TEXT in t for t in transcript_texts(browser, "child")),
        "the child's words",
    )
    child_message = css(browser, "#transcript .msg.child")[0]
    assert child_message.find_elements("css selector", ".nlu .badge")
    assert child_message.find_elements("css selector", ".nlu li"), "the NLU reasons are shown"
    wait_for(lambda: transcript_texts(browser, "bot"), "the bot's part of the transcript")
    conversation_id = run(
        query(
            database_url, select(Conversation.id).where(Conversation.assigned_to == users["leyla"])
        )
    )[0]

    # Reply: it shows in the console and reaches the child.
    reply = "Mən buradayam. İndi təhlükəsiz yerdəsən?"
    box = browser.find_element("id", "reply-text")
    box.send_keys(reply)
    browser.find_element("id", "reply-send").click()
    wait_for(
        lambda: any(reply in t for t in transcript_texts(browser, "counsellor")),
        "my reply in the transcript",
    )
    wait_for(
        lambda: any(m["sender"] == "counsellor" and m["text"] == reply for m in child.history()),
        "the reply in the child's chat history",
    )

    # The child answers: it arrives live.
    child.say("hə, evdəyəm, otağımdayam")
    wait_for(
        lambda: any("otağımdayam" in t for t in transcript_texts(browser, "child")),
        "the child's answer, live",
    )
    # Meanwhile another child in danger writes: the queue and the banner show it.
    next_child = Child(base_url)
    next_child.say("atam meni her gun dovur, eve getmeye qorxuram")
    browser.find_element("id", "reply-text").send_keys(Keys.ALT, "1")  # the queue tab
    wait_for(lambda: css(browser, "#queue-list li"), "the next child in the queue")
    wait_for(lambda: not visible(browser, "toast"), "the toasts to fade")
    screenshot(browser)

    # Take the next child too; when the first one writes, their chat is marked in "My chats".
    click(browser, "#queue-list li:first-child button.claim", "the next child's claim button")
    wait_for(lambda: not any("otağımdayam" in t for t in transcript_texts(browser, "child")), "2nd")
    child.say("anam gəldi")
    first_chat = f'#mine-list li[data-id="{conversation_id}"]'
    wait_for(lambda: css(browser, f"{first_chat} .unread"), "the new-message mark")
    click(browser, f"{first_chat} button.open", "Open on the first chat")
    wait_for(lambda: any("anam gəldi" in t for t in transcript_texts(browser, "child")), "1st")
    assert not css(browser, f"{first_chat} .unread")

    # Close with the case form.
    browser.find_element("id", "chat-close").click()
    wait_for(lambda: visible(browser, "close-dialog"), "the case form")
    select_value(browser, "case-category", "social")
    select_value(browser, "case-subcategory", "suicidal_thoughts")
    browser.find_element("css selector", "input[name=gender][value=female]").click()
    browser.find_element("id", "case-age").send_keys("14")
    select_value(browser, "case-outcome", "counselled")
    snap(browser, "counsellor-2-case-form")
    browser.find_element("id", "case-submit").click()
    wait_for(lambda: not visible(browser, "close-dialog"), "the case form to close")
    wait_for(lambda: "Case closed" in browser.find_element("id", "toast").text, "the closing toast")
    assert visible(browser, "chat-empty")

    cases = run(query(database_url, select(Case).where(Case.conversation_id == conversation_id)))
    assert len(cases) == 1
    case = cases[0]
    assert (case.category, case.subcategory, case.gender) == (
        "social",
        "suicidal_thoughts",
        "female",
    )
    assert (case.age, case.age_band, case.outcome) == (14, "11-14", "counselled")
    assert case.closed_by == users["leyla"]
    assert case.referral_agency is None
    assert console_errors(browser) == []
    for each in (child, other_child, next_child):
        each.close()


@pytest.mark.parametrize("live_app", [{"high_risk_alert_seconds": 1}], indirect=True)
def test_supervisor_is_alerted_sees_every_chat_monitors_read_only_and_reassigns(
    live_app, app_url, browser
):
    base_url, database_url = app_url
    users = run(
        add_users(
            database_url, {"nigar": "supervisor", "leyla": "counsellor", "rauf": "counsellor"}
        )
    )
    claimed_child, waiting_child = Child(base_url), Child(base_url)
    claimed_child.say(HIGH_RISK_TEXT)
    leyla = Staff(base_url, "leyla")
    queue = wait_for(lambda: leyla.http.get("/api/queue").json()["items"], "the chat in the queue")
    claimed_id = queue[0]["id"]
    assert leyla.post(f"/api/conversations/{claimed_id}/claim").status_code == 200
    waiting_child.say("I want to kill myself tonight, I have the pills")

    sign_in(browser, base_url, "nigar")
    wait_for(lambda: visible(browser, "supervisor-banner"), "the supervisor alert")
    assert "unclaimed" in browser.find_element("id", "supervisor-banner-text").text
    assert visible(browser, "tab-all")

    browser.find_element("id", "tab-all").click()
    row = wait_for(
        lambda: css(browser, f'#all-list li[data-id="{claimed_id}"]'), "the claimed chat"
    )[0]
    assert "with leyla" in row.text
    wait_for(
        lambda: "waiting in the queue" in browser.find_element("id", "all-list").text,
        "the waiting chat",
    )

    # Monitor: the transcript, read-only.
    row.find_element("xpath", ".//button[text()='Monitor']").click()
    wait_for(
        lambda: any(HIGH_RISK_TEXT in t for t in transcript_texts(browser, "child")),
        "the transcript",
    )
    assert visible(browser, "chat-readonly")
    assert not visible(browser, "reply-form")
    snap(browser, "supervisor-1-monitor")

    # Reassign to rauf.
    browser.find_element("id", "chat-reassign").click()
    wait_for(lambda: visible(browser, "reassign-dialog"), "the reassign form")
    browser.find_element("id", "reassign-to").send_keys("rauf")
    browser.find_element("id", "reassign-note").send_keys("Leyla's shift ends")
    browser.find_element("css selector", "#reassign-form button.primary").click()
    wait_for(lambda: not visible(browser, "reassign-dialog"), "the reassign form to close")
    wait_for(
        lambda: "with rauf" in browser.find_element("id", "chat-status").text, "the new counsellor"
    )
    assigned = run(
        query(database_url, select(Conversation.assigned_to).where(Conversation.id == claimed_id))
    )
    assert assigned == [users["rauf"]]

    # The supervisor takes the waiting chat and refers it without consent: an emergency override.
    click(browser, "#tab-queue", "the queue tab")
    click(browser, "#queue-list li:first-child button.claim", "the claim button")
    wait_for(lambda: visible(browser, "reply-form"), "the claimed chat")
    waiting_id = browser.find_element("id", "transcript").get_attribute("data-conversation")
    browser.find_element("id", "chat-close").click()
    wait_for(lambda: visible(browser, "close-dialog"), "the case form")
    select_value(browser, "case-category", "social")
    select_value(browser, "case-subcategory", "suicidal_thoughts")
    browser.find_element("css selector", "input[name=gender][value=anonymous]").click()
    select_value(browser, "case-age-band", "15-18")
    select_value(browser, "case-outcome", "emergency_services")
    browser.find_element("id", "case-referral").click()
    browser.find_element("id", "case-agency").send_keys("Police (102)")
    assert visible(browser, "override-fields"), "no consent: the override reason is asked"
    snap(browser, "supervisor-2-referral")
    browser.find_element("id", "case-override").send_keys(
        "Pills at hand tonight; child stopped answering"
    )
    browser.find_element("id", "case-submit").click()
    wait_for(lambda: "Case closed" in browser.find_element("id", "toast").text, "the closing toast")
    cases = run(query(database_url, select(Case).where(Case.conversation_id == waiting_id)))
    assert [(c.referral_agency, c.referral_consent, c.referral_override_by) for c in cases] == [
        ("Police (102)", False, users["nigar"])
    ]
    assert cases[0].referral_override_reason.startswith("Pills at hand")
    assert (cases[0].gender, cases[0].age_band) == ("anonymous", "15-18")
    assert console_errors(browser) == []

    # The session ends on the server (idle timeout, signed out elsewhere): at the next update the
    # console goes back to the sign-in page instead of showing stale chats.
    run(execute(database_url, delete(StaffSession).where(StaffSession.user_id == users["nigar"])))
    Child(base_url).say(HIGH_RISK_TEXT)
    wait_for(lambda: visible(browser, "login-form"), "the sign-in page")
    assert "session ended" in browser.find_element("id", "login-message").text
    assert not css(browser, "#transcript li")
    leyla.close()
    claimed_child.close()
    waiting_child.close()


def test_counsellor_notes_canned_reply_correction_transfer_lost_claim_and_sign_out(
    live_app, app_url, browser
):
    base_url, database_url = app_url
    users = run(
        add_users(database_url, {"leyla": "counsellor", "rauf": "counsellor", "emin": "editor"})
    )
    first, second = Child(base_url), Child(base_url)
    first.say(HIGH_RISK_TEXT)
    rauf = Staff(base_url, "rauf")
    wait_for(lambda: rauf.http.get("/api/queue").json()["items"], "the chat in the queue")

    sign_in(browser, base_url, "leyla")
    click(browser, "#queue-list li:first-child button.claim", "the claim button")
    wait_for(lambda: visible(browser, "reply-form"), "the claimed chat")
    conversation_id = browser.find_element("id", "transcript").get_attribute("data-conversation")

    # The child's photo and voice note: shown for what they are (the files stay on Telegram).
    first.send_media(live_app, "photo")
    first.send_media(live_app, "voice")
    wait_for(
        lambda: [m.text for m in css(browser, ".msg.child .media")][-2:] == ["[photo]", "[voice]"],
        "the photo and voice placeholders",
    )
    snap(browser, "counsellor-3-media")

    # A canned reply in the child's language goes into the box, to edit before sending.
    wait_for(lambda: len(css(browser, "#canned option")) > 1, "the canned replies")
    select_value(browser, "canned", "0")
    assert "Uşaq Qaynar Xətti" in browser.find_element("id", "reply-text").get_attribute("value")

    # A note for colleagues.
    click(browser, "#notes summary", "the notes")
    browser.find_element("id", "note-text").send_keys("Talks about tonight; ask about the pills")
    browser.find_element("css selector", "#note-form button").click()
    wait_for(
        lambda: "ask about the pills" in browser.find_element("id", "notes-list").text, "the note"
    )

    # "The bot got it wrong": a labelled example.
    click(browser, "#transcript .msg.child .mark-wrong", "Mark wrong")
    wait_for(lambda: visible(browser, "feedback-dialog"), "the correction form")
    snap(browser, "counsellor-4-feedback")
    select_value(browser, "feedback-category", "social")
    select_value(browser, "feedback-subcategory", "suicidal_thoughts")
    select_value(browser, "feedback-risk", "imminent")
    browser.find_element("css selector", "#feedback-form button.primary").click()
    wait_for(lambda: "correction is saved" in browser.find_element("id", "toast").text, "saved")
    labels = run(query(database_url, select(NluFeedback)))
    assert [(f.category, f.subcategory, f.risk_level) for f in labels] == [
        ("social", "suicidal_thoughts", "imminent")
    ]

    # Transfer to a colleague, with a note.
    browser.find_element("id", "chat-transfer").click()
    wait_for(lambda: visible(browser, "transfer-dialog"), "the transfer form")
    browser.find_element("css selector", "input[name=to-kind][value=user]").click()
    browser.find_element("id", "transfer-to").send_keys("rauf")
    browser.find_element("id", "transfer-note").send_keys("My shift ends; she is at home")
    browser.find_element("id", "transfer-submit").click()
    wait_for(lambda: "Transferred to rauf" in browser.find_element("id", "toast").text, "moved")
    assert visible(browser, "chat-empty")
    assigned = run(
        query(
            database_url, select(Conversation.assigned_to).where(Conversation.id == conversation_id)
        )
    )
    assert assigned == [users["rauf"]]

    # A claim lost to a colleague: told plainly, and the queue refreshes. Live updates are
    # blocked for this part, so the browser still shows the chat rauf has just taken.
    second.say("I want to kill myself tonight")
    waiting = wait_for(lambda: rauf.http.get("/api/queue").json()["items"], "the second chat")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/events*"]})
    browser.refresh()  # the queue is fetched once, at start
    wait_for(lambda: css(browser, "#queue-list li button.claim"), "the second chat in the browser")
    assert visible(browser, "connection-banner"), "the console says live updates are down"
    assert rauf.post(f"/api/conversations/{waiting[0]['id']}/claim").status_code == 200
    click(browser, "#queue-list li:first-child button.claim", "the claim button")
    wait_for(
        lambda: "Someone else took this chat" in browser.find_element("id", "toast").text,
        "the lost-claim message",
    )
    wait_for(lambda: not css(browser, "#queue-list li"), "the queue to refresh")
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})

    # Sign out: back to the sign-in form, and the session is gone.
    browser.find_element("id", "logout").click()
    wait_for(lambda: visible(browser, "login-form"), "the sign-in form")
    snap(browser, "counsellor-5-signed-out")
    assert "signed out" in browser.find_element("id", "login-message").text
    browser.get(f"{base_url}/console")
    wait_for(lambda: visible(browser, "login-form"), "the sign-in form after a reload")

    # An editor's account has no business with chats: told so, and signed out again.
    browser.find_element("id", "login-username").send_keys("emin")
    browser.find_element("id", "login-password").send_keys(PASSWORD)
    browser.find_element("id", "login-submit").click()
    wait_for(
        lambda: "no access to chats" in browser.find_element("id", "login-message").text,
        "the refusal",
    )
    assert not visible(browser, "app-view")
    for each in (first, second, rauf):
        each.close()


# -- the page itself (no browser needed) --------------------------------------------------------


class _Settings:
    session_idle_minutes = 30
    high_risk_alert_seconds = 60


class _Container:
    settings = _Settings()


def _page_client() -> httpx.AsyncClient:
    from fastapi import FastAPI

    from escalation.console import build_console_router

    app = FastAPI()
    app.include_router(build_console_router(_Container()))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")


async def test_console_page_is_sent_uncached_with_a_strict_content_security_policy():
    from escalation.auth import COOKIE_NAME

    async with _page_client() as client:
        page = await client.get("/console")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        assert 'data-first-view="login"' in page.text
        client.cookies.set(COOKIE_NAME, "some-session")
        assert 'data-first-view="app"' in (await client.get("/console")).text


async def test_console_static_files_are_served_and_nothing_else():
    async with _page_client() as client:
        script = await client.get("/console/static/app.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert (await client.get("/console/static/console.css")).status_code == 200
        for name in ("missing.js", "..%2Frouter.py", "router.py", ".hidden.js"):
            assert (await client.get(f"/console/static/{name}")).status_code == 404


def test_case_form_offers_exactly_the_taxonomy_identifiers_each_with_a_label():
    import yaml

    from escalation.console.router import TAXONOMY, case_form, load_taxonomy

    taxonomy = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    form = case_form()
    assert [o["id"] for o in form["outcomes"]] == taxonomy["outcomes"]
    assert [g["id"] for g in form["genders"]] == taxonomy["genders"]
    assert form["age_bands"] == taxonomy["age_bands"]
    assert all(entry["label"] != entry["id"] for entry in form["outcomes"] + form["genders"])
    categories = load_taxonomy()
    assert set(categories) == set(taxonomy["categories"])
    assert (
        categories["violence"]["subcategories"]
        == taxonomy["categories"]["violence"]["subcategories"]
    )
