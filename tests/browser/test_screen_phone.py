"""The participant page on a phone (390x844) leads with "now": in every phase of the block the current part's action
is on the first screen, and the page follows the phase live. An invitation to react takes the top of the screen,
the focus and the tab's title wherever the person was reading; an opened results table stays open through live
updates (and a paused list's resume); a refused ballot shows the ballot that counts; sending a question logs no
CSP error (new_page fails a test on any console error)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import LiveServer, assert_not_reloaded, mark, new_person, open_online, post, sql

PARTICIPANT_PAGE = f"/e/{SLUG}"
ORGANISER_PAGE = f"/e/{SLUG}/organiser"
MODERATOR_PAGE = f"/e/{SLUG}/moderator"
PHONE = {"width": 390, "height": 844}
ME = "participant:Erik van Dijk"
OTHERS = ["participant:Fatima Bouzid", "participant:Jan de Boer"]


# Each test moves the block through its phases and votes: a server (and database) of its own.
pytestmark = pytest.mark.own_server


# --- helpers ----------------------------------------------------------------------------------------------


def phone(new_page, server: LiveServer, who: str = ME, **kw):
    """A participant on a 390x844 phone, on their page, online, marked (see assert_not_reloaded)."""
    page = new_page(label=f"{who} (phone)", **kw)
    page.set_viewport_size(PHONE)
    open_online(page, server, who, PARTICIPANT_PAGE)
    mark(page)
    return page


def someone(playwright_instance, server: LiveServer, who: str):
    """Another participant, without a page: a request context with their cookies."""
    context = playwright_instance.request.new_context(base_url=server.base_url)
    assert context.get(server.links[who], max_redirects=0).status == 303
    return context


def move_phase(organiser, server: LiveServer, page, kind: str) -> None:
    """The organiser moves the block on; the participant's page follows over its WebSocket."""
    post(organiser.request, server, f"/e/{SLUG}/phase", {"action": "next"})
    expect(page.locator("#programme")).to_have_attribute("data-phase", kind)


def poll_question(server: LiveServer, position: int) -> tuple[int, list[int]]:
    qid = sql(server, "SELECT id FROM poll_question WHERE position = :p", p=position)[0][0]
    options = [r[0] for r in sql(server, "SELECT id FROM poll_option WHERE question_id = :q ORDER BY position", q=qid)]
    return qid, options


def on_first_screen(page, locator, what: str) -> None:
    """Entirely inside the phone's first screen, the page not scrolled."""
    expect(locator).to_be_visible()
    assert page.evaluate("() => window.scrollY") == 0, f"{what}: the page was scrolled"
    # A live snapshot may swap the fragment between the check above and the measurement: measure the new one.
    box = None
    for _ in range(20):
        box = locator.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(50)
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], \
        f"{what} is not on the first screen of a {PHONE['width']}x{PHONE['height']} phone: {box}"


def folded(page, kind: str) -> bool:
    return not page.locator(f'section[data-kind="{kind}"] > details.part-fold').evaluate("d => d.open")


# --- tests ------------------------------------------------------------------------------------------------


def test_screen_phone_puts_the_current_part_first_in_every_phase(new_page, server, assert_accessible) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    moderator = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    page = phone(new_page, server, bypass_csp=True)  # (only so that axe-core can be injected)

    # Before the start: a welcome, the start time and what will happen (the whole programme, open).
    programme = page.locator("#programme")
    expect(programme).to_have_attribute("data-phase", "before")
    on_first_screen(page, page.locator(".welcome-intro"), "the welcome")
    on_first_screen(page, programme.locator("h2"), "the 'not started yet' header")
    expect(programme).to_contain_text("We beginnen om 11:30 met Het G40Gesprek.")
    expect(page.locator("#programme-more")).to_have_attribute("open", "")
    expect(page.locator("#programme-more .timeline li")).to_have_count(4)
    expect(page.locator("#programme-more .timeline li").last).to_be_visible()
    assert_accessible(page, "participant phone before the start")

    # The debate: the question box and its send button, right under a compact "now" header.
    move_phase(organiser, server, page, "debate")
    expect(programme.locator("h2")).to_have_text("Het G40Gesprek")
    on_first_screen(page, programme.locator(".eyebrow").first, "the 'now' header")
    on_first_screen(page, page.locator("#question-body"), "the question box")
    on_first_screen(page, page.locator('#ask-form button[type="submit"]'), "the send button")
    expect(page.locator(".welcome-intro")).to_be_hidden()
    expect(page.locator("#programme-more")).not_to_have_attribute("open", "")  # the programme folded away …
    expect(page.locator("#programme-more summary")).to_contain_text("Digitaal netwerken")  # … saying what is next
    assert folded(page, "poll") and folded(page, "lunch") and not folded(page, "debate")
    # With an invitation to react over the top of the screen, too.
    me = sql(server, "SELECT id FROM participant WHERE name = 'Erik van Dijk'")[0][0]
    post(moderator.request, server, f"/e/{SLUG}/moderator/invite", {"participant": str(me)})
    expect(page.locator("#invitation section[role=alert]")).to_be_visible()
    assert_accessible(page, "participant phone in the debate, invited to react")
    page.locator("#invitation button").nth(1).click()  # "Nu niet"
    expect(page.locator("#invitation section")).to_have_count(0)

    # The poll: the open question's first answer and the vote button.
    qid, _options = poll_question(server, 2)
    move_phase(organiser, server, page, "poll")
    post(moderator.request, server, f"/e/{SLUG}/polls/{qid}/open")
    form = page.locator(f'#poll-question form.poll-form[data-question="{qid}"]')
    on_first_screen(page, form.locator("input").first, "the poll question's first answer")
    on_first_screen(page, form.locator('button[type="submit"]'), "the vote button")
    assert folded(page, "debate") and not folded(page, "poll")
    assert_accessible(page, "participant phone in the poll")

    # The lunch (the seating published): the table and its big video button.
    post(organiser.request, server, f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "1"})
    post(organiser.request, server, f"/e/{SLUG}/tables/seating", {"action": "publish"})
    move_phase(organiser, server, page, "lunch")
    card = page.locator("#table-card")
    on_first_screen(page, card.locator(".table-name"), "the table's name")
    on_first_screen(page, card.locator('form.table-open button[type="submit"]'), "the video button")
    assert folded(page, "poll") and not folded(page, "lunch")
    # The topic preference is no longer a form once the seating is published (it arrived live): it is shown.
    expect(page.locator("#part-lunch .topic-choice")).to_be_hidden()
    expect(page.locator("#part-lunch .topic-locked")).to_be_visible()
    assert_accessible(page, "participant phone at lunch")

    # The closing: no section of its own, so the part's description is the "now".
    move_phase(organiser, server, page, "closing")
    on_first_screen(page, programme.locator(".part-description"), "the closing's description")
    assert folded(page, "debate") and folded(page, "poll") and folded(page, "lunch")
    assert_accessible(page, "participant phone in the closing")

    # Everything stays reachable: a folded part opens with a tap on its heading.
    page.locator("#part-debate summary").click()
    expect(page.locator("#question-body")).to_be_visible()
    expect(page.locator("#phase-announcement")).to_contain_text("Blik op 2021")
    assert_not_reloaded(page)


def test_screen_phone_invitation_takes_the_top_the_focus_and_the_title(new_page, server) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    moderator = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    page = phone(new_page, server)
    move_phase(organiser, server, page, "debate")
    base_title = page.title()

    # Send a question from a text box the person made taller (the browser then gives it an inline style; htmx's
    # settle step used to copy that with setAttribute, which the CSP refuses: a console error fails this test).
    page.locator("#question-body").evaluate("(box) => { box.style.height = '9rem'; }")
    page.locator("#question-body").fill("Kunnen gemeenten samen inkopen? (telefoon)")
    page.locator('#ask-form button[type="submit"]').click()
    expect(page.locator("#ask-form .status-message")).not_to_have_text("")
    qid = sql(server, "SELECT id FROM question WHERE body LIKE '%(telefoon)'")[0][0]
    me = sql(server, "SELECT participant_id FROM question WHERE id = :q", q=qid)[0][0]
    for action in ("approve", "on_air"):
        post(moderator.request, server, f"/e/{SLUG}/moderator/questions/{qid}", {"action": action})
    badge = page.locator("#my-questions .on-air-badge")
    expect(badge).to_have_text("in de uitzending")
    expect(page.locator("#on-air .on-air-question")).to_be_visible()

    # The person reads far down the page, with the focus on the sort control, when the moderator invites them.
    page.locator("#question-sort").focus()
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 0
    post(moderator.request, server, f"/e/{SLUG}/moderator/invite", {"participant": str(me), "question": str(qid)})
    banner = page.locator("#invitation section[role=alert]")
    expect(banner).to_be_visible()
    expect(page).to_have_title(f"(!) Uitnodiging om te reageren – {base_title}")
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('#invitation button')")
    assert page.evaluate("() => document.activeElement === document.querySelector('#invitation button')")
    expect(page.locator("#invitation button").first).to_have_text("Ik ben klaar")
    box = banner.bounding_box()
    assert box is not None and abs(box["y"]) < 1, f"the invitation is not at the top of the screen: {box}"
    assert page.evaluate("() => window.scrollY") == scrolled, "the page jumped"

    # Opened again (the invitation is already there): the same focus and title.
    page.reload()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(page).to_have_title(f"(!) Uitnodiging om te reageren – {base_title}")
    page.wait_for_function("() => document.activeElement === document.querySelector('#invitation button')")

    # Answered: the title is restored; the banner becomes a notice that stays in view; focus is not lost.
    page.locator("#invitation button").first.click()
    expect(banner).to_have_attribute("data-status", "ready")
    expect(page).to_have_title(base_title)
    expect(page.locator("#invitation-status")).to_contain_text("Dank u")
    assert page.evaluate("() => document.activeElement !== document.body")

    # After the debate, the question that was on air is no longer "on air".
    move_phase(organiser, server, page, "poll")
    expect(badge.locator(".on-air-text")).to_be_hidden()
    assert badge.evaluate("(b) => getComputedStyle(b, '::after').content") == '"beantwoord"'
    expect(page.locator("#on-air")).to_be_hidden()


def test_screen_phone_open_results_table_survives_live_updates(new_page, server, playwright_instance) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    moderator = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    page = phone(new_page, server)
    move_phase(organiser, server, page, "debate")
    move_phase(organiser, server, page, "poll")
    qid, options = poll_question(server, 1)
    post(moderator.request, server, f"/e/{SLUG}/polls/{qid}/open")
    voters = [someone(playwright_instance, server, who) for who in OTHERS]
    try:
        post(voters[0], server, f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[0])})
        table = page.locator("#poll-results details.chart-table")
        expect(table).to_have_count(1)
        table.locator("summary").click()
        expect(table).to_have_attribute("open", "")

        # A live update (another vote) morphs the results: the table stays open and shows the new count.
        post(voters[1], server, f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[1])})
        expect(table.locator("tbody tr").nth(1).locator("td").first).to_have_text("1")
        expect(table).to_have_attribute("open", "")

        # Paused, an update is held back; resumed, the held version arrives — and the table is still open.
        pause = page.locator('#part-poll button[data-pause="#poll-results"]')
        pause.click()
        post(voters[0], server, f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[1])})
        page.wait_for_timeout(300)  # (a held update shows nothing: give it the time it would take to arrive)
        expect(table.locator("tbody tr").nth(1).locator("td").first).to_have_text("1")
        pause.click()
        expect(table.locator("tbody tr").nth(1).locator("td").first).to_have_text("2")
        expect(table).to_have_attribute("open", "")
    finally:
        for voter in voters:
            voter.dispose()

    # The programme, opened by the person during a part, stays open when it is pushed again (a part renamed).
    page.locator("#programme-more summary").click()
    expect(page.locator("#programme-more")).to_have_attribute("open", "")
    lunch = sql(server, "SELECT id, starts_at, ends_at, description FROM programme_part WHERE kind = 'lunch'")[0]
    post(organiser.request, server, f"/e/{SLUG}/organiser/parts/{lunch[0]}", {
        "kind": "lunch", "title": "Netwerklunch aan tafel", "starts_at": lunch[1], "ends_at": lunch[2],
        "description": lunch[3]})
    expect(page.locator("#programme-more")).to_contain_text("Netwerklunch aan tafel")
    expect(page.locator("#programme-more")).to_have_attribute("open", "")
    assert_not_reloaded(page)


def test_screen_phone_refused_ballot_shows_the_ballot_that_counts(new_page, server) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    moderator = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    page = phone(new_page, server, expected_statuses=(422,))
    move_phase(organiser, server, page, "debate")
    move_phase(organiser, server, page, "poll")
    qid, options = poll_question(server, 2)  # "maximaal twee"
    post(moderator.request, server, f"/e/{SLUG}/polls/{qid}/open")
    boxes = [page.locator(f"#poll-option-{option}") for option in options]
    vote = page.locator("#poll-question button[type=submit]")

    boxes[0].check()
    boxes[1].check()
    vote.click()
    expect(page.locator("#poll-status")).to_contain_text("Uw stem is opgeslagen")
    # (the saved ballot comes back on the person's own live topic and is ticked from there: let it arrive first)
    page.wait_for_function("""(q) => { const b = JSON.parse(document.getElementById('my-ballot').dataset.ballots);
        return b[q] && b[q].options.length === 2; }""", arg=str(qid))

    boxes[2].check()  # a third tick: one too many
    vote.click()
    expect(page.locator("#poll-status .is-error")).to_contain_text("Uw stem is niet opgeslagen")
    expect(page.locator("#poll-error")).to_contain_text("Hieronder staat uw opgeslagen stem")
    expect(boxes[0]).to_be_checked()
    expect(boxes[1]).to_be_checked()
    expect(boxes[2]).not_to_be_checked()
    stored = sql(server, "SELECT c.option_id FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
                         "WHERE b.question_id = :q ORDER BY c.option_id", q=qid)
    assert [r[0] for r in stored] == sorted(options[:2])
    assert re.search(r"Uw stem is niet opgeslagen", page.locator("#poll-status").inner_text())
    assert_not_reloaded(page)
