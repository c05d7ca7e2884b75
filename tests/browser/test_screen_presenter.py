"""The presenter's screen on a beamer: in every phase, what the room must see is on the first screen, whole.

Measured in a real Chromium at 1280x720, 1920x1080 and 3840x2160: the join address, the code and the QR code
before the start; the question on air (also a 500-character one); the open poll question's chart (the plot and
every text in it: word-cloud words, axis labels) and the overall picture; the lunch tables; the closing part and
the thank-you. "Whole" means: inside the viewport, not clipped by its own box (scroll size = client size), and
the page itself does not scroll. Also: the word cloud keeps accents ("efficiënt"), the streaming overlay is a
readable band at the bottom, and the screen is axe-clean in every phase."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from app.demo import CODE, SLUG
from tests.browser.conftest import LiveServer, open_online, sql

PRESENTER_PAGE = f"/e/{SLUG}/presenter"
SIZES = {"720p": {"width": 1280, "height": 720}, "1080p": {"width": 1920, "height": 1080},
         "4k": {"width": 3840, "height": 2160}}
VOTERS = ["Marieke Hendriks", "Erik van Dijk", "Fatima Bouzid", "Jan de Boer", "Lotte Mulder", "Kees Willems",
          "Ayşe Yilmaz", "Bram Kuipers"]
WORDS = ["efficiënt", "Efficiënt", "efficient", "verbindingsgericht", "verbindingsgericht", "gezellig",
         "samenwerkingsverbanden", "toegankelijk"]
QUESTION = "Hoe voorkomen we dat de regio een extra bestuurslaag wordt waar de gemeenteraad geen grip op heeft?"
LONG_QUESTION = ("Wat vraagt 'één overheid' concreet van het Rijk als het gaat om de financiering van de jeugdzorg, "
                 "de woningbouwopgave en de energietransitie in de middelgrote steden, en hoe zorgen we ervoor dat "
                 "de afspraken meerjarig zijn, zodat gemeenten niet steeds opnieuw hoeven te wachten op tijdelijke "
                 "potjes die na twee jaar weer verdwijnen, terwijl de opgaven in de wijken juist om een lange adem "
                 "vragen en de gemeenteraad zijn rol als volksvertegenwoordiging goed moet kunnen spelen daarbij?")


# Each test drives the block through its own phases: a server of its own.
pytestmark = pytest.mark.own_server


# --- measuring ------------------------------------------------------------------------------------------------

# Problems with how a set of elements sits on the screen; [] when every one is whole and inside the viewport.
BOXES_FIT = """(selectors) => {
    const problems = [];
    const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
    const outside = (r, box) => r.left < box.left - 1 || r.top < box.top - 1 ||
                                r.right > box.right + 1 || r.bottom > box.bottom + 1;
    const where = (r) => `[${Math.round(r.left)},${Math.round(r.top)} – ${Math.round(r.right)},${Math.round(r.bottom)}]`;
    for (const selector of selectors) {
        const found = [...document.querySelectorAll(selector)];
        if (!found.length) problems.push(`${selector}: not on the page`);
        for (const el of found) {
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height) { problems.push(`${selector}: not shown`); continue; }
            if (outside(r, view)) problems.push(`${selector}: ${where(r)} is not inside the viewport`);
            if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
                problems.push(`${selector}: its text is clipped (${el.scrollWidth}x${el.scrollHeight} in ` +
                              `${el.clientWidth}x${el.clientHeight})`);
        }
    }
    const doc = document.documentElement;
    if (doc.scrollHeight > innerHeight + 1 || doc.scrollWidth > innerWidth + 1)
        problems.push(`the page scrolls: ${doc.scrollWidth}x${doc.scrollHeight} in ${innerWidth}x${innerHeight}`);
    return problems;
}"""

# Problems with a drawn chart: its SVG and every text in it must be inside the viewport and inside the chart's
# own box (which clips), and the word cloud's words must not overlap.
CHART_FITS = """(id) => {
    const problems = [];
    const div = document.getElementById(id);
    if (!div) return [`#${id}: no chart`];
    const svg = div.querySelector('svg.main-svg');
    if (!svg) return [`#${id}: not drawn`];
    const box = div.getBoundingClientRect();
    const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
    const outside = (r, b) => r.left < b.left - 1 || r.top < b.top - 1 || r.right > b.right + 1 || r.bottom > b.bottom + 1;
    const where = (r) => `[${Math.round(r.left)},${Math.round(r.top)} – ${Math.round(r.right)},${Math.round(r.bottom)}]`;
    if (box.width < 50 || box.height < 50) problems.push(`#${id}: only ${box.width}x${box.height}`);
    if (outside(box, view)) problems.push(`#${id}: the chart is not inside the viewport`);
    if (outside(svg.getBoundingClientRect(), view)) problems.push(`#${id}: the plot's SVG is not inside the viewport`);
    const texts = [...div.querySelectorAll('svg text')].filter(t => t.textContent.trim());
    if (!texts.length) problems.push(`#${id}: no text in the chart`);
    for (const t of texts) {
        const r = t.getBoundingClientRect();
        if (outside(r, box) || outside(r, view))
            problems.push(`#${id}: "${t.textContent}" at ${where(r)} sticks out of the chart ${where(box)}`);
    }
    const words = [...div.querySelectorAll('.scatterlayer text')].map(t => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < words.length; i++) for (let j = i + 1; j < words.length; j++) {
        const [a, ra] = words[i], [b, rb] = words[j];
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 3 && h > 3) problems.push(`#${id}: "${a}" and "${b}" overlap`);
    }
    return problems;
}"""

SVG_TEXTS = "(id) => [...document.querySelectorAll('#' + id + ' svg text')].map(t => t.textContent)"


def settled(page, script: str, arg: object, label: str) -> None:
    """Wait until the screen has laid itself out (fonts, fitting, chart redraws), then report what is wrong."""
    try:
        page.wait_for_function(f"(arg) => ({script})(arg).length === 0", arg=arg, timeout=8_000)
    except PlaywrightTimeout:
        problems = page.evaluate(script, arg)
        raise AssertionError(f"{label} ({page.viewport_size}):\n  " + "\n  ".join(problems)) from None


def fits(page, selectors: list[str], label: str) -> None:
    settled(page, BOXES_FIT, selectors, label)


def chart_fits(page, chart_id: str, label: str) -> None:
    settled(page, CHART_FITS, chart_id, label)


def font_px(page, selector: str) -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


# --- driving the block ----------------------------------------------------------------------------------------


class Block:
    """The organiser (signed in) and participants (API contexts with their own cookies) driving the demo block."""

    def __init__(self, new_page, server: LiveServer, playwright_instance) -> None:
        self.server, self.playwright = server, playwright_instance
        self.organiser = new_page(label="organiser").request
        self.people: dict[str, object] = {}
        self.parts = {kind: pid for pid, kind in sql(server, "SELECT id, kind FROM programme_part ORDER BY position")}
        self.polls = {}
        for qid, kind in sql(server, "SELECT id, kind FROM poll_question ORDER BY position"):
            self.polls.setdefault(kind, qid)

    def post(self, who, path: str, form: dict) -> None:
        response = who.post(self.server.url(path), form=form, headers={"Origin": self.server.base_url},
                            max_redirects=0)
        assert response.status in (200, 204, 303), f"POST {path} -> {response.status}: {response.text()[:300]}"

    def person(self, name: str):
        if name not in self.people:
            context = self.playwright.request.new_context(base_url=self.server.base_url)
            assert context.get(self.server.links[f"participant:{name}"], max_redirects=0).status == 303
            self.people[name] = context
        return self.people[name]

    def goto(self, kind: str) -> None:
        self.post(self.organiser, f"/e/{SLUG}/phase", {"action": "goto", "part": str(self.parts[kind])})

    def next(self) -> None:
        self.post(self.organiser, f"/e/{SLUG}/phase", {"action": "next"})

    def ask_on_air(self, name: str, body: str, upvotes: int = 0, action: str = "on_air", anonymous: bool = False) -> int:
        self.post(self.person(name), f"/e/{SLUG}/questions", {"body": body, **({"anonymous": "1"} if anonymous else {})})
        qid = sql(self.server, "SELECT max(id) FROM question")[0][0]
        self.post(self.organiser, f"/e/{SLUG}/moderator/questions/{qid}", {"action": "approve"})
        for voter in VOTERS[:upvotes]:
            self.post(self.person(voter), f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
        self.post(self.organiser, f"/e/{SLUG}/moderator/questions/{qid}", {"action": action})
        return qid

    def poll(self, kind: str, answers: list[dict]) -> int:
        qid = self.polls[kind]
        self.post(self.organiser, f"/e/{SLUG}/polls/{qid}/open", {})
        for name, form in zip(VOTERS, answers, strict=False):
            self.post(self.person(name), f"/e/{SLUG}/polls/{qid}/vote", form)
        return qid

    def close(self, kind: str) -> None:
        self.post(self.organiser, f"/e/{SLUG}/polls/{self.polls[kind]}/close", {})

    def dispose(self) -> None:
        for context in self.people.values():
            context.dispose()


@pytest.fixture
def block(new_page, server, playwright_instance):
    driver = Block(new_page, server, playwright_instance)
    yield driver
    driver.dispose()


def presenter(new_page, server, size: str = "1080p", overlay: bool = False, **kw):
    page = new_page(label=f"presenter {size}{' overlay' if overlay else ''}", **kw)
    page.set_viewport_size(SIZES[size])
    open_online(page, server, "presenter:Presentatiescherm", PRESENTER_PAGE)
    if overlay:
        page.goto(f"{PRESENTER_PAGE}?overlay=1")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    return page


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", list(SIZES))
def test_screen_presenter_before_the_start_shows_address_code_and_qr(new_page, server, size: str) -> None:
    page = presenter(new_page, server, size)
    expect(page.locator("#presenter-stage")).to_have_attribute("data-phase", "before")
    address = server.base_url.split("://", 1)[1]
    expect(page.locator("#presenter-join .join-address")).to_have_text(address)
    expect(page.locator("#presenter-join .join-code")).to_have_text(CODE)
    qr = page.locator("#presenter-join svg.qr")
    expect(qr).to_have_attribute("role", "img")
    expect(qr.locator("title")).to_have_text(f"QR-code: {address}/?code={CODE}")
    expect(page.locator("#presenter-stage .stage-next")).to_contain_text("11:30")
    # No site header over the beamer: only the language switch, small, in a corner.
    expect(page.locator(".site-header .brand")).to_be_hidden()
    fits(page, ["#stage-title", "#presenter-stage .stage-next", "#presenter-join .join-address",
                "#presenter-join .join-code", "#presenter-join svg.qr", "#presenter-join figcaption"], size)
    qr_box = qr.bounding_box()
    assert qr_box["height"] >= 0.3 * SIZES[size]["height"], f"{size}: the QR code is only {qr_box['height']}px high"
    assert font_px(page, "#presenter-join .join-code") >= 0.08 * SIZES[size]["height"], f"{size}: the code is small"


def test_screen_presenter_question_on_air_fills_the_screen_at_every_size(new_page, server, block) -> None:
    block.goto("debate")
    block.ask_on_air("Erik van Dijk", QUESTION, upvotes=3)
    for size, viewport in SIZES.items():
        page = presenter(new_page, server, size)
        on_air = page.locator("#on-air")
        expect(on_air.locator(".on-air-question")).to_have_text(QUESTION)
        expect(on_air.locator(".on-air-asker")).to_have_text("Erik van Dijk, Nijmegen")
        expect(on_air.locator(".on-air-votes")).to_contain_text("3 keer gesteund")
        expect(page.locator("#presenter-join")).to_be_hidden()  # a question on air needs nothing else
        expect(page.locator("#presenter-stage .stage-text")).to_be_hidden()  # the part's description neither
        fits(page, ["#stage-title", "#on-air .on-air-question", "#on-air .on-air-asker", "#on-air .on-air-votes"], size)
        size_px = font_px(page, "#on-air .on-air-question")
        assert size_px >= 0.05 * viewport["height"], f"{size}: the question is only {size_px}px"
        assert size_px > 2 * font_px(page, "#stage-title"), f"{size}: the part's title is as big as the question"
        page.close()

    # The longest question there can be arrives live on the smallest screen: smaller type, still whole.
    page = presenter(new_page, server, "720p")
    block.ask_on_air("Fatima Bouzid", LONG_QUESTION)
    expect(page.locator("#on-air .on-air-question")).to_have_text(LONG_QUESTION)
    expect(page.locator("#on-air .on-air-asker")).to_have_text("Fatima Bouzid, Tilburg")
    fits(page, ["#on-air .on-air-question", "#on-air .on-air-asker"], "720p, 500 characters")
    assert font_px(page, "#on-air .on-air-question") >= 18, "the long question shrank below 18px"
    # Anonymous: the screen says so.
    block.ask_on_air("Jan de Boer", "Mag een vraag ook anoniem?", anonymous=True)
    expect(page.locator("#on-air .on-air-question")).to_have_text("Mag een vraag ook anoniem?")
    expect(page.locator("#on-air .on-air-asker")).to_have_text("Anoniem")
    fits(page, ["#on-air .on-air-question", "#on-air .on-air-asker"], "720p, anonymous")


def test_screen_presenter_debate_without_a_question_on_air_invites_questions(new_page, server, block) -> None:
    block.goto("debate")
    page = presenter(new_page, server)
    join = page.locator("#presenter-join")
    expect(join).to_be_visible()
    expect(join.locator("#join-title")).to_have_text("Stuur uw vragen in", use_inner_text=True)
    expect(join.locator(".join-code")).to_have_text(CODE)
    block.ask_on_air("Erik van Dijk", "Een vraag voor straks (selectie)", action="star")
    expect(page.locator("#on-air .on-air-next")).to_have_text("Wachtende vragen in de selectie: 1")
    fits(page, ["#presenter-join .join-address", "#presenter-join .join-code", "#presenter-join svg.qr",
                "#on-air .on-air-next"], "debate, nothing on air")
    # Once a question goes on air, it takes the screen.
    qid = sql(server, "SELECT max(id) FROM question")[0][0]
    block.post(block.organiser, f"/e/{SLUG}/moderator/questions/{qid}", {"action": "on_air"})
    expect(page.locator("#on-air .on-air-question")).to_have_text("Een vraag voor straks (selectie)")
    expect(join).to_be_hidden()


def test_screen_presenter_open_poll_charts_fit_at_every_size(new_page, server, block) -> None:
    block.goto("poll")
    page = presenter(new_page, server)
    expect(page.locator("#poll-results .poll-waiting")).to_be_visible()  # nothing open yet: how to vote along
    expect(page.locator("#presenter-join #join-title")).to_have_text("Stem mee", use_inner_text=True)

    # The word cloud: the biggest word, and the longest, are whole at every size; accents survive.
    qid = block.poll("words", [{"text": w} for w in WORDS])
    chart = f"chart-{qid}"
    expect(page.locator(f"#{chart} svg.main-svg").first).to_be_attached()
    expect(page.locator("#poll-results .counter strong").first).to_have_text(str(len(WORDS)))
    for size in ("1080p", "720p", "4k"):
        page.set_viewport_size(SIZES[size])
        chart_fits(page, chart, f"word cloud, {size}")
        fits(page, ["#poll-results .poll-prompt", "#poll-results .counter"], f"word cloud prompt, {size}")
    words = page.evaluate(SVG_TEXTS, chart)
    assert "efficiënt" in words and "efficient" not in words, words
    assert "verbindingsgericht" in words and "samenwerkingsverbanden" in words, words
    block.close("words")

    # The scale: the columns, their counts and the meaning of both ends under the axis.
    qid = block.poll("scale", [{"value": str(v)} for v in (1, 2, 4, 4, 5, 5, 5, 3)])
    chart = f"chart-{qid}"
    expect(page.locator(f"#{chart} svg.main-svg").first).to_be_attached()
    for size in ("720p", "1080p", "4k"):
        page.set_viewport_size(SIZES[size])
        chart_fits(page, chart, f"scale, {size}")
        fits(page, ["#poll-results .poll-prompt", "#poll-results .counter"], f"scale prompt, {size}")
    labels = " ".join(page.evaluate(SVG_TEXTS, chart))
    assert "Slecht" in labels and "Uitstekend" in labels, labels
    expect(page.locator("#poll-results .counter .mean")).to_have_text("3.6")
    block.close("scale")

    # Choices: every answer's label, count and share.
    qid = block.poll("multiple", [{"option": str(o)} for o in
                                  [r[0] for r in sql(server, f"SELECT id FROM poll_option WHERE question_id = "
                                                             f"{block.polls['multiple']} ORDER BY position")] * 2])
    chart = f"chart-{qid}"
    expect(page.locator(f"#{chart} svg.main-svg").first).to_be_attached()
    # Every vote counted and drawn first: the votes arrive live, and the chart may still show only the first few.
    page.wait_for_function(f"([id, needle]) => ({SVG_TEXTS})(id).some(t => t.includes(needle))",
                           arg=[chart, "2 (25%)"])
    page.set_viewport_size(SIZES["1080p"])
    chart_fits(page, chart, "choices, 1080p")
    labels = " ".join(page.evaluate(SVG_TEXTS, chart))
    assert "Het informele gesprek bij de lunch" in labels and "2 (25%)" in labels, labels
    page.set_viewport_size(SIZES["720p"])
    chart_fits(page, chart, "choices, 720p")
    block.close("multiple")

    # Nothing open: the overall picture, every closed question in one grid on one screen.
    expect(page.locator("#poll-results .poll-summary-title")).to_have_text("Totaalbeeld")
    cells = page.locator("#poll-results .poll-cell")
    expect(cells).to_have_count(3)
    for size in ("720p", "1080p"):
        page.set_viewport_size(SIZES[size])
        fits(page, [".poll-cell", ".poll-cell .poll-prompt", ".poll-cell .counter"], f"overall picture, {size}")
        for chart_id in page.locator("#poll-results .poll-cell .chart").evaluate_all("(els) => els.map(e => e.id)"):
            chart_fits(page, chart_id, f"overall picture, {size}")


def test_screen_presenter_words_keep_their_accents_for_participants_too(new_page, server, block) -> None:
    block.goto("poll")
    qid = block.poll("words", [{"text": w} for w in WORDS])
    participant = new_page(label="participant")
    open_online(participant, server, "participant:Hugo de Graaf", f"/e/{SLUG}")
    expect(participant.locator(f"#chart-{qid} svg.main-svg").first).to_be_attached()
    expect(participant.locator("#poll-results .word-list")).to_contain_text("efficiënt")
    words = participant.evaluate(SVG_TEXTS, f"chart-{qid}")
    assert "efficiënt" in words and "efficient" not in words, words


def test_screen_presenter_lunch_closing_and_thanks_fit(new_page, server, block) -> None:
    block.post(block.organiser, f"/e/{SLUG}/tables/seating", {"action": "preview"})
    block.post(block.organiser, f"/e/{SLUG}/tables/seating", {"action": "publish"})
    block.goto("lunch")
    page = presenter(new_page, server, "720p")
    tables = page.locator("#tables-overview .table-grid > li")
    expect(tables).to_have_count(6)
    expect(tables.first).to_contain_text("Annemiek de Vries")
    for size in ("720p", "1080p", "4k"):
        page.set_viewport_size(SIZES[size])
        fits(page, ["#stage-title", "#tables-overview .table-grid > li"], f"lunch, {size}")

    block.next()  # Blik op 2021: the part itself is the screen
    expect(page.locator("#stage-title")).to_have_text("Blik op 2021")
    for size in ("720p", "1080p"):
        page.set_viewport_size(SIZES[size])
        fits(page, ["#stage-title", "#presenter-stage .stage-text"], f"closing, {size}")
        assert font_px(page, "#stage-title") >= 0.08 * SIZES[size]["height"], f"closing, {size}: small title"

    block.next()  # the end
    expect(page.locator("#stage-title")).to_have_text("Bedankt voor uw deelname.")
    fits(page, ["#stage-title", "#presenter-stage .stage-text"], "after")


def test_screen_presenter_overlay_is_a_readable_band_at_the_bottom(new_page, server, block) -> None:
    block.goto("debate")
    block.ask_on_air("Erik van Dijk", QUESTION, upvotes=2)
    page = presenter(new_page, server, "1080p", overlay=True)
    expect(page.locator("#on-air .on-air-question")).to_have_text(QUESTION)
    style = page.evaluate("""() => {
        const band = document.getElementById('main').getBoundingClientRect();
        return {page: getComputedStyle(document.body).backgroundColor,
                band: getComputedStyle(document.getElementById('main')).backgroundColor,
                top: band.top, bottom: band.bottom};
    }""")
    assert style["page"] == "rgba(0, 0, 0, 0)", style  # the video shows through
    assert style["band"].startswith("rgba(11, 42, 74, 0.9"), style  # dark enough for white text on any picture
    assert style["top"] >= 0.5 * 1080 and style["bottom"] <= 1080, style  # a band in the lower part
    fits(page, ["#on-air .on-air-question", "#on-air .on-air-asker"], "overlay")


def test_screen_presenter_is_accessible_in_every_phase(new_page, server, block, assert_accessible) -> None:
    # bypass_csp only so that axe-core can be injected (see new_page in conftest.py).
    page = presenter(new_page, server, bypass_csp=True)
    failures = []

    def check(label: str) -> None:
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))

    expect(page.locator("#presenter-join svg.qr")).to_be_visible()
    check("presenter before the start (address, code, QR)")
    block.goto("debate")
    expect(page.locator("#presenter-join #join-title")).to_have_text("Stuur uw vragen in", use_inner_text=True)
    check("presenter in the debate, nothing on air")
    block.ask_on_air("Erik van Dijk", QUESTION, upvotes=1)
    expect(page.locator("#on-air .on-air-question")).to_have_text(QUESTION)
    check("presenter with a question on air")
    block.goto("poll")
    qid = block.poll("words", [{"text": w} for w in WORDS])
    expect(page.locator(f"#chart-{qid} svg.main-svg").first).to_be_attached()
    check("presenter with an open word cloud")
    block.close("words")
    expect(page.locator("#poll-results .poll-summary-title")).to_be_visible()
    check("presenter with the overall picture")
    assert not failures, "\n\n".join(failures)
