"""Keyboard only: a participant and a moderator do their whole job with Tab, Shift+Tab, Enter, Space, the arrow
keys and the console's letter shortcuts — never the mouse, never element.click().

At EVERY key press the focused element is checked: it has a visible focus indicator (a non-empty outline or
box-shadow, measured with getComputedStyle) and is on screen; what the key did is then checked where it lands
(the database, or the page). Each page is also walked from top to bottom and back with Tab / Shift+Tab: every
visible control must be reached (nothing unreachable), focus must always move on (no trap), and the walk must
come back to where it started.

Setting the scene (other people's questions, a published seating, an open poll question) goes through the same
form posts the pages send; only the person under test is restricted to the keyboard.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import CODE, SLUG
from tests.browser.conftest import LiveServer, open_online, post, sql

# Each walk changes questions, votes and seats: a server (and database) per test.
pytestmark = pytest.mark.own_server

PARTICIPANT_PAGE = f"/e/{SLUG}"
MODERATOR_PAGE = f"/e/{SLUG}/moderator"
MAX_TABS = 150  # more stops than any page has: a walk that needs more is stuck somewhere

# A name for a control that survives live re-renders: its id, else its nearest ancestor's id, tag and label.
KEY = """(el) => el.id || ((el.parentElement && el.parentElement.closest('[id]')) || {id: ''}).id + '>' + el.tagName
    + ':' + (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60)"""
# The focused element, and whether a sighted keyboard user can see where focus is.
FOCUS = """() => {
    const keyOf = """ + KEY + """;
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const cs = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\\s+/g, ' ');
    return {
        key: keyOf(el),
        tag: el.tagName.toLowerCase(), id: el.id, name: name.slice(0, 60),
        outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0,
        shadow: cs.boxShadow !== 'none' && cs.boxShadow !== '',
        sized: rect.width > 0 && rect.height > 0,
        programmatic: el.matches('main[tabindex="-1"], .error-summary[tabindex="-1"]'),
    };
}"""
# Every control a keyboard user must be able to reach: visible, enabled, not inert, not inside a closed <details>.
CONTROLS = """() => {
  const keyOf = """ + KEY + """;
  // The content of a closed <details> is not focusable (only its own <summary> is), though it may have boxes.
  const inClosedDetails = (el) => {
    for (let d = el.parentElement && el.parentElement.closest('details'); d;
         d = d.parentElement && d.parentElement.closest('details')) {
      if (!d.open && !(el.tagName === 'SUMMARY' && el.parentElement === d)) return true;
    }
    return false;
  };
  // A radio group is one Tab stop: its checked radio, else its first.
  const radioStop = (el) => {
    const group = [...document.getElementsByName(el.name)].filter(r => r.type === 'radio' && r.form === el.form);
    return el === (group.find(r => r.checked) || group[0]);
  };
  return [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter(el => !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                  && !el.closest('[inert]') && !inClosedDetails(el) && (el.type !== 'radio' || radioStop(el)))
    .map(keyOf);
}"""


class Keyboard:
    """The only way the person under test touches the page. Counts key presses and focus checks."""

    def __init__(self, page) -> None:
        self.page = page
        self.presses = 0

    def focus(self) -> dict | None:
        return self.page.evaluate(FOCUS)

    def assert_focus_visible(self, after: str) -> dict:
        state = self.focus()
        assert state is not None, f"after {after}, focus is lost (on the body)"
        if state["programmatic"]:  # the skip link's target or an error summary: focused for reading, not a control
            return state
        assert state["sized"], f"after {after}, focus is on an invisible element: {state}"
        assert state["outline"] or state["shadow"], f"after {after}, the focused element shows no focus: {state}"
        return state

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        self.presses += 1
        return self.assert_focus_visible(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)
        self.assert_focus_visible(f"typing {text[:20]!r}")

    def tab_to(self, selector: str) -> dict:
        """Tab until the element matching ``selector`` has focus; every stop on the way must show its focus."""
        for _ in range(MAX_TABS):
            state = self.press("Tab")
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return state
        raise AssertionError(f"{selector} is not reachable with Tab")

    def walk(self, label: str) -> int:
        """From the top of the page to the bottom with Tab and back with Shift+Tab: every visible control reached,
        focus always moving, visible at every stop; returns the number of stops."""
        # Start where a fresh page starts: focusing the body moves the sequential-navigation starting point to
        # the top (a mere blur() would leave it at the last focused control).
        self.page.evaluate("""() => { document.body.tabIndex = -1; document.body.focus();
                                      document.body.removeAttribute('tabindex'); window.scrollTo(0, 0); }""")
        expected = set(self.page.evaluate(CONTROLS))
        seen: list[str] = []
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            self.presses += 1
            state = self.focus()
            if state is None or (seen and state["key"] == seen[0]):
                break  # past the last control (focus went to the browser) or round to the first one
            self.assert_focus_visible(f"Tab in the walk through {label}")
            assert not seen or state["key"] != seen[-1], f"{label}: focus is stuck on {state}"
            seen.append(state["key"])
        else:
            raise AssertionError(f"{label}: more than {MAX_TABS} Tab stops — a trap?")
        missed = expected - set(seen)
        assert not missed, (f"{label}: controls that Tab never reaches: {sorted(missed)[:10]} "
                            f"(the walk: {len(seen)} stops, ending {seen[-3:]}, then {state})")
        # Back: from past the end (or from the first control again) Shift+Tab must retrace every stop.
        back = [self.press("Shift+Tab")["key"] for _ in seen]
        assert back == seen[::-1], f"{label}: Shift+Tab does not retrace Tab: {back[:5]} ... vs {seen[::-1][:5]} ..."
        return len(seen)


def wait_status(page, selector: str, text: str | re.Pattern) -> None:
    expect(page.locator(selector)).to_have_text(text)


def one(server: LiveServer, statement: str, **params: object) -> object:
    rows = sql(server, statement, **params)
    assert len(rows) == 1, (statement, rows)
    return rows[0][0]


def scene(new_page, playwright_instance, server: LiveServer, questions: dict[str, str], approve: bool) -> int:
    """Other people's questions, a published seating and an open poll question, through the usual form posts
    (no pages: request contexts with each person's cookies). Returns the open poll question's id."""
    organiser = new_page(label="organiser (scene)")  # new_page signs an "organiser…" context in
    moderator = new_page(label="moderator (scene)")
    assert moderator.request.get(server.url(server.links["moderator:Assistent moderatie"]), max_redirects=0).status == 303
    for n, (who, body) in enumerate(questions.items()):
        person = playwright_instance.request.new_context(base_url=server.base_url)
        assert person.get(server.links[who], max_redirects=0).status == 303
        post(person, server, f"/e/{SLUG}/questions", {"body": body, "key": f"keyboard-scene-{n:03d}-xxxxxxx"})
        person.dispose()
    if approve:
        for (qid,) in sql(server, "SELECT id FROM question WHERE status = 'pending'"):
            post(moderator.request, server, f"/e/{SLUG}/moderator/questions/{qid}", {"action": "approve"})
    post(organiser.request, server, f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "1"})
    post(organiser.request, server, f"/e/{SLUG}/tables/seating", {"action": "publish"})
    first_poll = one(server, "SELECT id FROM poll_question WHERE position = 1")
    post(moderator.request, server, f"/e/{SLUG}/polls/{first_poll}/open")
    return first_poll


def test_participant_joins_asks_upvotes_votes_and_finds_their_table_by_keyboard(new_page, playwright_instance,
                                                                                server) -> None:
    fatima_asks = "Hoe houden we de wijkzorg betaalbaar? (toetsenbord)"
    poll_id = scene(new_page, playwright_instance, server, {"participant:Fatima Bouzid": fatima_asks}, approve=True)
    page = new_page(label="participant (keyboard only)")
    keys = Keyboard(page)

    # Join with the event code: the skip link first, then the form, the municipality chosen with arrow keys.
    page.goto("/")
    state = keys.press("Tab")
    assert "skip-link" in page.evaluate("() => document.activeElement.className"), state
    keys.tab_to("#code")
    keys.type(CODE)
    keys.tab_to("#name")
    keys.type("Toetsenbord Tineke")
    keys.tab_to("#municipality")
    for _ in range(3):
        keys.press("ArrowDown")  # Choose… -> the first three municipalities
    chosen = page.locator("#municipality").evaluate("(s) => s.options[s.selectedIndex].text")
    keys.tab_to('form[action="/join"] button[type="submit"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")  # (the focus check follows on the new page)
    expect(page).to_have_url(server.url(PARTICIPANT_PAGE))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    me = one(server, "SELECT id FROM participant WHERE name = 'Toetsenbord Tineke'")
    assert one(server, "SELECT m.name FROM participant p JOIN municipality m ON m.id = p.municipality_id "
                       "WHERE p.id = :p", p=me) == chosen

    # Ask a question: Tab into the text box, type, Tab past "anonymously" to Send, Enter.
    keys.tab_to("#question-body")
    keys.type("Wat betekent één overheid voor de steden?")
    keys.tab_to('#ask-form button[type="submit"]')
    keys.press("Enter")
    expect(page.locator("#ask-form .status-message")).not_to_have_text("")
    assert one(server, "SELECT body FROM question WHERE participant_id = :p", p=me) == \
        "Wat betekent één overheid voor de steden?"
    keys.assert_focus_visible("sending the question (the form was swapped)")

    # Upvote Fatima's question with Space.
    fatima_q = one(server, "SELECT id FROM question WHERE body = :b", b=fatima_asks)
    button = f'#public-{fatima_q} button.upvote'
    keys.tab_to(button)
    keys.press("Space")
    expect(page.locator(button)).to_have_attribute("aria-pressed", "true")
    assert one(server, "SELECT count(*) FROM question_vote WHERE question_id = :q AND participant_id = :p",
               q=fatima_q, p=me) == 1
    keys.assert_focus_visible("upvoting (the list was re-rendered)")

    # Vote in the open poll question: Tab into the radio group, ArrowDown to the second answer, Tab to Vote.
    keys.tab_to("#poll-question input[type=radio]")
    keys.press("ArrowDown")
    keys.tab_to("#poll-question button[type=submit]")
    keys.press("Enter")
    expect(page.locator("#poll-status")).to_contain_text("Uw stem is opgeslagen")
    assert one(server, "SELECT o.position FROM poll_choice c JOIN poll_option o ON o.id = c.option_id "
                       "JOIN poll_ballot b ON b.id = c.ballot_id WHERE b.question_id = :q AND b.participant_id = :p",
               q=poll_id, p=me) == 2

    # Find the table: the card names it; the big button to the video meeting is reachable (not followed: it
    # leaves for the video service); the table-topic preference, locked once the seating is published, is shown.
    table = one(server, "SELECT t.name FROM seat s JOIN lunch_table t ON t.id = s.table_id WHERE s.participant_id = :p",
                p=me)
    expect(page.locator("#table-card .table-name")).to_have_text(table)
    keys.tab_to(f'#table-card form[action="/e/{SLUG}/table/open"] button')
    expect(page.locator("#topic-chosen")).to_be_visible()

    stops = keys.walk("the participant page")
    print(f"\nkeyboard (participant): {keys.presses} key presses, every one with visible focus; "
          f"{stops} Tab stops on the page, all controls reached, Shift+Tab retraces")


def queue_item(page, qid: int):
    return page.locator(f"#queue-{qid}")


def test_moderator_runs_the_queue_by_keyboard(new_page, playwright_instance, server) -> None:
    asked = {
        "participant:Erik van Dijk": "Eerste vraag: hoe werken stad en regio samen?",
        "participant:Fatima Bouzid": "Tweede vraag: wat kost één overheid?",
        "participant:Jan de Boer": "Derde vraag: wie betaalt de wijkzorg?",
        "participant:Lotte Mulder": "Vierde vraag: wat vraagt de energietransitie?",
        "participant:Marieke Hendriks": "Vijfde vraag: hoe gaat het met wonen? (bijna dezelfde als de eerste)",
    }
    scene(new_page, playwright_instance, server, asked, approve=False)
    ids = [row[0] for row in sql(server, "SELECT id FROM question ORDER BY id")]
    page = new_page(label="moderator (keyboard only)")
    open_online(page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    keys = Keyboard(page)

    def status_of(qid: int) -> str:
        return one(server, "SELECT status FROM question WHERE id = :q", q=qid)

    def shortcut(key: str, done: str) -> None:
        page.evaluate("() => { document.getElementById('action-status').textContent = ''; }")
        focused = page.evaluate("() => document.activeElement.id")
        keys.press(key)
        wait_status(page, "#action-status", f"Klaar: {done}")
        # After the queue is re-rendered live, focus is still on the same question (else the keyboard user
        # would have to Tab from the top of the page again).
        expect(page.locator(f"#{focused}")).to_be_focused()
        keys.assert_focus_visible(f"the shortcut {key!r} and the live re-render")

    # Tab to the first question in the queue; the letter shortcuts act on the focused question.
    keys.tab_to(f"#queue-{ids[0]}")
    shortcut("a", "goedgekeurd")
    assert status_of(ids[0]) == "approved"
    keys.press("j")
    expect(queue_item(page, ids[1])).to_be_focused()
    shortcut("o", "in de uitzending")
    assert status_of(ids[1]) == "on_air"
    keys.press("j")
    shortcut("d", "niet geselecteerd")
    assert status_of(ids[2]) == "dismissed"
    keys.press("j")
    shortcut("s", "aan de selectie toegevoegd")
    assert one(server, "SELECT starred FROM question WHERE id = :q", q=ids[3]) in (1, True)
    keys.press("k")
    keys.press("k")
    expect(queue_item(page, ids[1])).to_be_focused()
    shortcut("m", "als beantwoord gemarkeerd")
    assert status_of(ids[1]) == "answered"

    # Put a question on air with its button (Tab from the question into its actions, Enter).
    keys.press("j")
    keys.press("j")
    keys.tab_to(f'#queue-{ids[3]} button[name="action"][value="on_air"]')
    keys.press("Enter")
    wait_status(page, "#action-status", "Klaar: in de uitzending")
    assert status_of(ids[3]) == "on_air"
    keys.assert_focus_visible("pressing 'On air' (the queue was re-rendered)")

    # Merge the fifth question into the fourth: open "Edit or merge" with Enter, pick it with the arrow keys
    # (the list offers the other questions in queue order, the first one selected).
    keys.tab_to(f"#queue-{ids[4]} summary")
    keys.press("Enter")
    expect(page.locator(f"#queue-{ids[4]} details")).to_have_attribute("open", "")
    keys.tab_to(f"#merge-{ids[4]}")
    for _ in range(3):
        keys.press("ArrowDown")
    expect(page.locator(f"#merge-{ids[4]}")).to_have_value(str(ids[3]))
    keys.tab_to(f'#queue-{ids[4]} form:has(#merge-{ids[4]}) button[type="submit"]')
    keys.press("Enter")
    wait_status(page, "#action-status", "Klaar: samengevoegd")
    assert status_of(ids[4]) == "merged"
    assert one(server, "SELECT merged_into_id FROM question WHERE id = :q", q=ids[4]) == ids[3]
    expect(queue_item(page, ids[4])).to_have_count(0)  # the live update has taken it out of the queue
    keys.assert_focus_visible("merging (the merged question left the queue)")

    stops = keys.walk("the moderator console")
    print(f"\nkeyboard (moderator): {keys.presses} key presses, every one with visible focus; "
          f"{stops} Tab stops on the console, all controls reached, Shift+Tab retraces")
