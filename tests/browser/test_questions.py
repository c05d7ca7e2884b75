"""The G40Gesprek, live: a participant asks, the moderator approves and puts the question on air, others upvote,
the moderator invites the asker to react — and every open page (participants, moderator console, presenter
screen) follows over its WebSocket, without a reload. Also: hostile question text stays text everywhere, the
pages stay accessible after live updates, and a paused list holds back updates until it is resumed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, new_person, participant

PARTICIPANT_PAGE = f"/e/{SLUG}"
MODERATOR_PAGE = f"/e/{SLUG}/moderator"
PRESENTER_PAGE = f"/e/{SLUG}/presenter"

ASKER = "participant:Erik van Dijk"
VOTER = "participant:Fatima Bouzid"
MODERATOR = "moderator:Gespreksleider"
PRESENTER = "presenter:Presentatiescherm"

LONG_WORD = "averyveryverylongwordwithoutanyspaces" + "x" * (200 - len("averyveryverylongwordwithoutanyspaces"))
HOSTILE = f'<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> hx-get="/healthz" \u202eRTL 🎉 {LONG_WORD}'


# The questions, votes and invitations of one test must not leak into the next: a server per test.
pytestmark = pytest.mark.own_server


# --- helpers ----------------------------------------------------------------------------------------------


person = new_person  # (open a link as someone, online and marked)


def moderator(new_page, server, **kw):
    return person(new_page, server, MODERATOR, MODERATOR_PAGE, **kw)


def presenter(new_page, server, **kw):
    return person(new_page, server, PRESENTER, PRESENTER_PAGE, **kw)


def ask(page, text: str) -> None:
    """Submit a question through the ask form (htmx swaps the form with its confirmation)."""
    page.locator("#question-body").fill(text)
    page.locator('#ask-form button[type="submit"]').click()
    expect(page.locator("#ask-form .status-message")).not_to_have_text("")
    expect(page.locator("#question-body")).to_have_value("")


def queue_item(page, text: str):
    return page.locator("#moderation-queue li.queue-item", has=page.locator(".question-body", has_text=text))


def moderate(page, text: str, action: str) -> None:
    """Click one of the moderator's action buttons on the question and wait for the polite confirmation."""
    status = page.locator("#action-status")
    page.evaluate("() => { document.getElementById('action-status').textContent = ''; }")
    queue_item(page, text).locator(f'button[name="action"][value="{action}"]').click()
    expect(status).to_contain_text("Klaar:")


def public_item(page, text: str):
    return page.locator("#question-list li[data-question]", has=page.locator(".question-body", has_text=text))


def my_item(page, text: str):
    return page.locator("#my-questions li", has=page.locator(".question-body", has_text=text))


# --- the flow ---------------------------------------------------------------------------------------------


def test_question_flow_across_participants_moderator_and_presenter(new_page, server) -> None:
    erik = participant(new_page, server, ASKER)
    fatima = participant(new_page, server, VOTER)
    console = moderator(new_page, server)
    screen = presenter(new_page, server)
    text = "Hoe houden we de zorg in de wijk betaalbaar? (vraag 1)"

    # Erik asks: the question waits for moderation; only Erik and the moderator see it.
    ask(erik, text)
    expect(my_item(erik, text).locator(".badge")).to_have_text("wacht op beoordeling")
    item = queue_item(console, text)
    expect(item).to_have_attribute("data-status", "pending")
    expect(item).to_contain_text("Erik van Dijk")
    expect(public_item(fatima, text)).to_have_count(0)

    # The moderator approves: it appears in everybody's public list, and Erik's own list says so.
    moderate(console, text, "approve")
    expect(item).to_have_attribute("data-status", "approved")
    expect(public_item(fatima, text)).to_have_count(1)
    expect(public_item(erik, text)).to_have_count(1)
    expect(my_item(erik, text).locator(".badge")).to_have_text("goedgekeurd")

    # Fatima upvotes: her button is pressed; the count follows everywhere.
    upvote = public_item(fatima, text).locator("button.upvote")
    expect(upvote).to_have_attribute("aria-pressed", "false")
    expect(upvote.locator(".vote-count")).to_have_text("0")
    upvote.click()
    expect(fatima.locator("#part-debate #action-status")).to_have_text("Stem opgeslagen.")
    expect(public_item(fatima, text).locator("button.upvote")).to_have_attribute("aria-pressed", "true")
    expect(public_item(fatima, text).locator(".vote-count")).to_have_text("1")
    expect(public_item(erik, text).locator(".vote-count")).to_have_text("1")
    expect(public_item(erik, text).locator("button.upvote")).to_have_attribute("aria-pressed", "false")
    expect(item).to_have_attribute("data-votes", "1")
    expect(item).to_contain_text("1 stem")  # the singular (ngettext), not "1 stemmen"
    expect(item).not_to_contain_text("1 stemmen")

    # On air: the presenter screen and both participants show it; Erik's own list says "in de uitzending".
    moderate(console, text, "on_air")
    expect(item).to_have_attribute("data-status", "on_air")
    for page in (screen, erik, fatima):
        on_air = page.locator("#on-air")
        expect(on_air.locator(".on-air-question")).to_have_text(text)
        expect(on_air.locator(".on-air-asker")).to_contain_text("Erik van Dijk")
        expect(on_air).not_to_have_class("on-air is-empty")
    expect(my_item(erik, text).locator(".badge")).to_have_text("in de uitzending")
    expect(public_item(fatima, text)).to_have_class("question is-on-air")

    assert_not_reloaded(erik, fatima, console, screen)
    for page in (erik, fatima, console, screen):
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def test_question_invitation_reaches_participant_and_ready_reaches_moderator(new_page, server) -> None:
    erik = participant(new_page, server, ASKER)
    console = moderator(new_page, server)
    text = "Mag ik hierop live reageren? (vraag 2)"
    ask(erik, text)
    item = queue_item(console, text)
    expect(item).to_have_count(1)
    expect(erik.locator("#invitation section")).to_have_count(0)

    # The moderator invites the asker through the question's own button.
    item.get_by_role("button", name="Vraagsteller uitnodigen om te reageren").click()
    expect(console.locator("#action-status")).to_have_text("Uitnodiging verstuurd.")
    invited = console.locator("#moderation-queue .invitations li", has_text="Erik van Dijk")
    expect(invited.locator(".badge")).to_have_text("wacht op antwoord")

    # Erik gets an alert, live, and answers "Ik ben klaar".
    alert = erik.locator("#invitation section[role=alert]")
    expect(alert).to_be_visible()
    expect(alert.locator("h2")).to_have_text("De gespreksleider nodigt u uit om live te reageren")
    alert.get_by_role("button", name="Ik ben klaar").click()
    expect(alert.locator("h2")).to_have_text("U staat klaar om te reageren")
    expect(alert.get_by_role("button", name="Ik ben klaar")).to_have_count(0)

    # The moderator sees it live: the invitations list says "staat klaar" and offers "Heeft gereageerd".
    expect(invited.locator(".badge")).to_have_text("staat klaar")
    expect(invited.locator('button[name="outcome"][value="done"]')).to_be_visible()
    assert_not_reloaded(erik, console)

    # Two details, checked together so that one failure does not hide the other:
    problems = []
    # - Erik's confirmation ("Dank u. …", the answer to his POST, put in #invitation-status) must survive the
    #   live re-render of #invitation that the same answer causes (the new heading above proves it has arrived).
    try:
        expect(erik.locator("#invitation-status")).to_contain_text("Dank u", timeout=3000)
    except AssertionError:
        problems.append(
            "Erik's confirmation in #invitation-status is empty: the live re-render of #invitation "
            "(which contains #invitation-status) wiped the POST's answer"
        )
    # - the queue item names the invitation's state in the page's language, not as an internal code ("ready").
    try:
        expect(item).to_contain_text("vraagsteller uitgenodigd: staat klaar", timeout=3000)
    except AssertionError:
        problems.append(f"the queue item shows the invitation state untranslated: {item.locator('p.muted').inner_text()!r}")
    assert not problems, "\n".join(problems)


def test_hostile_question_text_is_shown_as_text_everywhere(new_page, server) -> None:
    erik = participant(new_page, server, ASKER)
    fatima = participant(new_page, server, VOTER)
    console = moderator(new_page, server)
    screen = presenter(new_page, server)
    shown = HOSTILE.replace("\u202e", "")  # the app strips bidi overrides (clean_text)

    erik.locator("#question-body").fill(HOSTILE)
    erik.locator('#ask-form button[type="submit"]').click()
    expect(my_item(erik, LONG_WORD)).to_have_count(1)
    moderate(console, LONG_WORD, "approve")
    expect(public_item(fatima, LONG_WORD)).to_have_count(1)
    moderate(console, LONG_WORD, "on_air")
    for page in (screen, erik, fatima):
        expect(page.locator("#on-air .on-air-question")).to_contain_text(LONG_WORD)

    places = {
        "participant (asker)": (
            erik,
            ["#my-questions .question-body", "#question-list .question-body", "#on-air .on-air-question"],
        ),
        "participant (other)": (fatima, ["#question-list .question-body", "#on-air .on-air-question"]),
        "moderator": (console, ["#moderation-queue .queue-item .question-body"]),
        "presenter": (screen, ["#on-air .on-air-question"]),
    }
    for label, (page, selectors) in places.items():
        assert page.evaluate("() => window.__pwned") is None, f"script ran on the {label} page"
        assert page.locator('img[src="x"]').count() == 0, f"an <img> was created on the {label} page"
        assert page.locator('[hx-get="/healthz"]').count() == 0, f"an hx-get attribute appeared on the {label} page"
        for selector in selectors:
            texts = page.locator(selector).all_text_contents()
            assert any(shown in " ".join(t.split()) for t in texts), (
                f"{label}: {selector} does not show the question literally: {texts!r}"
            )
            assert not any("\u202e" in t for t in texts), f"{label}: a bidi override reached {selector}"
        # The 200-character word wraps instead of pushing the page sideways (WCAG 1.4.10 reflow).
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{label}: the long word makes the page {overflow}px wider than the window"
    # The moderator's edit box and merge options hold the text as text, too.
    expect(queue_item(console, LONG_WORD).locator("textarea")).to_have_value(shown)
    assert console.evaluate("() => window.__pwned") is None
    assert_not_reloaded(erik, fatima, console, screen)


# --- accessibility and pausing --------------------------------------------------------------------------


def test_question_pages_have_no_axe_violations_after_live_updates(new_page, server, assert_accessible) -> None:
    # bypass_csp only so that axe-core can be injected (see new_page in conftest.py).
    erik = participant(new_page, server, ASKER, bypass_csp=True)
    fatima = participant(new_page, server, VOTER, bypass_csp=True)
    console = moderator(new_page, server, bypass_csp=True)
    screen = presenter(new_page, server, bypass_csp=True)
    on_air_text = "Wat vraagt de energietransitie van kleine gemeenten? (vraag 3)"
    approved_text = "Hoe delen we data tussen gemeenten veilig? (vraag 4)"
    pending_text = "Komt er een vervolg op deze dag? (vraag 5)"

    ask(erik, on_air_text)
    ask(erik, approved_text)
    ask(fatima, pending_text)
    moderate(console, approved_text, "approve")
    moderate(console, on_air_text, "on_air")
    moderate(console, approved_text, "star")
    public_item(fatima, approved_text).locator("button.upvote").click()
    expect(public_item(fatima, approved_text).locator("button.upvote")).to_have_attribute("aria-pressed", "true")
    queue_item(console, on_air_text).get_by_role("button", name="Vraagsteller uitnodigen om te reageren").click()
    expect(console.locator("#moderation-queue .invitations li", has_text="Erik van Dijk")).to_contain_text("wacht op antwoord")

    expect(erik.locator("#invitation section[role=alert]")).to_be_visible()
    expect(screen.locator("#on-air .on-air-question")).to_have_text(on_air_text)
    expect(fatima.locator("#on-air .on-air-question")).to_have_text(on_air_text)
    expect(public_item(erik, approved_text).locator(".vote-count")).to_have_text("1")
    assert_not_reloaded(erik, fatima, console, screen)

    failures = []
    for page, label in (
        (erik, "participant page with an invitation and questions on air"),
        (fatima, "participant page after upvoting"),
        (console, "moderator console with a queue and an invitation"),
        (screen, "presenter screen with a question on air"),
    ):
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_paused_question_list_holds_back_updates_until_resumed(new_page, server) -> None:
    erik = participant(new_page, server, ASKER)
    fatima = participant(new_page, server, VOTER)
    console = moderator(new_page, server)
    first, second = "Eerste vraag voor de pauzeknop (vraag 6)", "Tweede vraag voor de pauzeknop (vraag 7)"
    ask(erik, first)
    ask(erik, second)
    moderate(console, first, "approve")
    expect(public_item(fatima, first)).to_have_count(1)

    pause = fatima.locator("#part-debate button[data-pause]")
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect(pause).to_have_text("Live bijwerken pauzeren")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(pause).to_have_text("Live bijwerken hervatten")

    moderate(console, second, "approve")
    # Erik's list is live, so the update has been pushed; Fatima's paused list holds it back.
    expect(public_item(erik, second)).to_have_count(1)
    expect(my_item(erik, second).locator(".badge")).to_have_text("goedgekeurd")
    expect(public_item(fatima, second)).to_have_count(0)
    expect(public_item(fatima, first)).to_have_count(1)
    # Only the paused list is held back: the rest of Fatima's page stays live.
    moderate(console, first, "on_air")
    expect(fatima.locator("#on-air .on-air-question")).to_have_text(first)
    expect(public_item(fatima, second)).to_have_count(0)

    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect(pause).to_have_text("Live bijwerken pauzeren")
    expect(public_item(fatima, second)).to_have_count(1)
    expect(public_item(fatima, first)).to_have_class("question is-on-air")

    # Resumed, the list is live again, and its buttons (processed by htmx again) still work.
    moderate(console, second, "star")  # a queue change that also re-renders the public list
    upvote = public_item(fatima, second).locator("button.upvote")
    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(public_item(erik, second).locator(".vote-count")).to_have_text("1")
    assert_not_reloaded(erik, fatima, console)
