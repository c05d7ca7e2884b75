"""Guessing is throttled per browser and (generously) per address, never by address alone; only failures count;
the budget is shared by every process; a flood of wrong links costs no database write; the organiser login is
throttled per user name and browser or address, never per account alone, so a guesser cannot lock the owner out,
and answers the same whether the name exists or not; participants' votes have a per-participant budget with a
clear 429. Time is a fake clock, so waits are proven without sleeping."""

from __future__ import annotations

import re
import secrets
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import event as sa_event
from starlette.testclient import TestClient

from app import throttle
from app.i18n import current_locale
from app.main import create_app
from app.organiser import totp
from tests.conftest import ORIGIN, SLUG, Browser, query, sign_in
from tests.support.api import API, bearer, expected_token
from tests.support.web import (
    ERIK,
    FATIMA,
    JAN,
    MODERATOR,
    ask,
    count_participants,
    create_account,
    demo_login,
    join,
    login,
    moderate,
    municipality_id,
    open_poll,
    poll_question,
    question_id,
    signed_in,
    signed_in_as_organiser,
)
from tests.support.web import vote as poll_vote


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # whole seconds: the database keeps microseconds, no rounding at a wait's end

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app, client) -> Clock:
    """The app's throttles on a clock the test moves (the client fixture has started the lifespan)."""
    fake = Clock()
    throttle.throttles(app).clock = fake
    return fake


@pytest.fixture
def place(settings) -> str:
    """A municipality to join with (looked up once: every lookup opens the database anew)."""
    return str(municipality_id(settings))


def refusal_text(seconds: int, locale: str = "nl") -> str:
    """The message as the app words it in that language (Dutch once the catalog has it)."""
    token = current_locale.set(locale)
    try:
        return throttle.Refusal(seconds).message()
    finally:
        current_locale.reset(token)


class Elsewhere(Browser):
    """A browser on another client address (the shared TestClient's address is "testclient"): the address the
    TestClient puts in the ASGI scope is swapped for this browser's requests only."""

    def __init__(self, client: TestClient, address: str) -> None:
        super().__init__(client)
        self.address = (address, 40000)
        self._was = client._transport.client

    def _swap(self) -> None:
        super()._swap()
        self._was, self.client._transport.client = self.client._transport.client, self.address

    def _keep(self) -> None:
        self.client._transport.client = self._was
        super()._keep()


def alert(response) -> str:
    """The login page's one message."""
    found = re.findall(r'<p class="status-message is-error" role="alert">(.*?)</p>', response.text, re.S)
    assert len(found) == 1, response.text
    return found[0]


# --- the event code ------------------------------------------------------------------------------------


@pytest.mark.parametrize("colleagues", [60, pytest.param(300, marks=pytest.mark.slow)])
def test_300_honest_joins_from_one_address_succeed_while_a_guesser_there_is_refused(
        settings, demo, browser, clock, place, colleagues):
    """The fast run has 60 colleagues; `-m slow` runs the whole city hall of 300 (a join is a durable commit)."""
    guesser = browser()
    first = [join(guesser, f"WRONG{n}", place).status_code for n in range(6)]
    assert first == [422] * 5 + [429]  # 5 free failures, then a wait
    before = count_participants(settings)
    honest, checked, refused = [], 0, 0
    for n in range(colleagues):  # one address, one browser each, a colleague a second
        honest.append(join(browser(), "G40DEC", place, name=f"Collega {n}").status_code)
        if n % 10 == 0:  # meanwhile the guesser keeps trying, every ten seconds
            status = join(guesser, f"GUESS{n}", place).status_code
            checked += status == 422
            refused += status == 429
        clock.advance(1)
    assert honest == [303] * colleagues
    assert count_participants(settings) == before + colleagues
    # The waits doubled (30, 60, 120 s): a guess was only looked at 30, 90 and 210 s after the first lock.
    expected = sum(1 for second in (30, 90, 210) if second < colleagues)
    assert (checked, refused) == (expected, colleagues // 10 - expected)
    # A refusal does not look at the code, so the right code is refused too: no oracle.
    right = join(guesser, "G40DEC", place, name="Raden")
    assert right.status_code == 429 and "location" not in right.headers
    assert count_participants(settings) == before + colleagues


def test_the_browser_budget_slows_then_refuses_with_a_clear_message_and_retry_after(settings, demo, browser, clock, place):
    me = browser()
    for n in range(5):
        assert join(me, f"NOPE9{n}", place).status_code == 422
    refused = join(me, "NOPE95", place)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refusal_text(30) in refused.text and 'role="alert"' in refused.text
    assert 'value="NOPE95"' in refused.text  # the form keeps what was typed
    english = join(me, "NOPE96", place, lang="en")
    assert english.status_code == 429 and "Too many attempts. Try again in 30 seconds." in english.text
    # after the wait one more guess is looked at; the next wait is twice as long, up to a quarter of an hour
    waits = []
    for _ in range(7):
        clock.advance(int(join(me, "NOPE97", place).headers["retry-after"]))
        assert join(me, "NOPE98", place).status_code == 422
        waits.append(int(join(me, "NOPE99", place).headers["retry-after"]))
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    assert refusal_text(900, "en") == "Too many attempts. Try again in 15 minutes."
    assert refusal_text(1, "en") == "Too many attempts. Try again in 1 second."


def test_a_guesser_who_throws_cookies_away_meets_the_address_budget_but_joined_browsers_do_not(
        settings, demo, browser, clock, place):
    already_in = browser()
    assert join(already_in, "G40DEC", place, name="Al binnen").status_code == 303
    statuses = [join(browser(), f"DROP{n:02d}", place).status_code for n in range(60)]  # a new browser each time
    assert statuses == [422] * 50 + [429] * 10
    newcomer = browser()
    refused = join(newcomer, "G40DEC", place, name="Nieuwkomer")  # the trade-off: a newcomer on that address waits
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 30
    # a browser that presented a valid secret before is held back only by its own budget
    assert join(already_in, "G40DEC", place, name="Al binnen").status_code == 303
    # and a personal link is another secret: it still works for a new browser on that address
    assert sign_in(browser(), demo[ERIK]) == f"/e/{SLUG}"
    clock.advance(30)
    assert join(newcomer, "G40DEC", place, name="Nieuwkomer").status_code == 303


def test_the_code_budget_is_shared_by_every_process(settings, demo, app, client, clock, place):
    """Two app processes on one database (and, under postgres-redis, one Redis): failures in either count."""
    with TestClient(create_app(settings), base_url=ORIGIN) as other_client:
        throttle.throttles(other_client.app).clock = clock
        browsers = [Browser(client), Browser(other_client)]
        statuses = []
        for n in range(7):  # one person's browser, its requests landing on alternate processes
            person, twin = browsers[n % 2], browsers[(n + 1) % 2]
            statuses.append(join(person, f"ALT{n}X", place).status_code)
            twin.cookies = list(person.cookies)
        assert statuses == [422] * 5 + [429] * 2
    rows = query(settings, "SELECT COUNT(*), MAX(failures) FROM throttle_count")
    assert rows == [(2, 5)]  # one browser key and one address key: pseudonyms, no addresses stored
    assert "testclient" not in str(query(settings, "SELECT key FROM throttle_count"))


def test_a_right_code_with_a_mistake_elsewhere_is_not_a_failed_guess(settings, demo, browser, clock, place):
    me = browser()
    for _ in range(8):
        response = me.post("/join", {"code": "G40DEC", "name": "", "municipality": "1"}, follow_redirects=False)
        assert response.status_code == 422
    assert query(settings, "SELECT COUNT(*) FROM throttle_count") == [(0,)]
    assert join(me, "G40DEC", place).status_code == 303


def test_the_event_page_does_not_hand_the_code_to_a_stranger(settings, demo, browser):
    """The slug is made of the event's name and date; before, /e/<slug> redirected to /?code=<the code>."""
    stranger = browser()
    response = stranger.get(f"/e/{SLUG}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert 'name="code" value=""' in stranger.get(f"/e/{SLUG}").text


# --- links and the API: 192-bit tokens, only the cost is throttled -------------------------------------


def test_a_flood_of_wrong_links_is_refused_from_memory_without_database_writes(settings, demo, app, browser, clock):
    erik = browser()
    sign_in(erik, demo[ERIK])  # a participant on the same address, who will open a role link mid-flood
    statements: list[str] = []
    engines = {app.state.db.engine.sync_engine, app.state.db.write_engine.sync_engine}

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    for engine in engines:
        sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        flood = [browser().get(f"/{'jr'[n % 2]}/{secrets.token_urlsafe(24)}", follow_redirects=False)
                 for n in range(120)]
        assert [response.status_code for response in flood] == [403] * 100 + [429] * 20
        assert not any("set-cookie" in response.headers for response in flood)  # a forged link leaves nothing behind
        writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert writes == []
        statements.clear()
        refused = browser().get(f"/j/{secrets.token_urlsafe(24)}", follow_redirects=False)
        assert statements == []  # refused before any query
        assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
        assert refusal_text(5) in refused.text
        # the trusted participant's browser still exchanges a genuine role link
        assert sign_in(erik, demo[MODERATOR]) == f"/e/{SLUG}/moderator"
    finally:
        for engine in engines:
            sa_event.remove(engine, "before_cursor_execute", seen)


def test_the_api_refuses_a_flood_of_wrong_tokens_but_not_the_overlay_using_the_right_one(
        settings, demo, client, clock):
    token = expected_token(settings)
    assert client.get(f"{API}/on-air", headers=bearer(token)).status_code == 200  # the stream's overlay
    wrong = [client.get(f"{API}/on-air", headers=bearer(secrets.token_urlsafe(24))).status_code for _ in range(105)]
    assert wrong == [401] * 100 + [429] * 5
    refused = client.get(f"{API}/poll", headers=bearer("x" * 32))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
    assert set(refused.json()) == {"error"}
    assert client.get(f"{API}/on-air", headers=bearer(token)).status_code == 200
    assert client.get(f"{API}/tables", headers=bearer(token)).status_code == 200
    clock.advance(5)
    assert client.get(f"{API}/poll", headers=bearer("y" * 32)).status_code == 401


# --- organiser sign-in ---------------------------------------------------------------------------------


HOUR = 3600


def post_logout(person) -> bool:
    response = person.post("/organiser/logout", follow_redirects=False)
    return response.status_code == 303 and not signed_in_as_organiser(person)


def refusal_wording(locale: str = "nl") -> str:
    """The one answer to every failed sign-in, as the app words it."""
    from app.i18n import gettext

    token = current_locale.set(locale)
    try:
        return gettext("The user name, password or code is not right.")
    finally:
        current_locale.reset(token)


def test_login_guessing_is_refused_per_browser_before_the_password_is_hashed(
        settings, demo, browser, clock, monkeypatch):
    from argon2.exceptions import VerificationError

    from app.organiser import auth

    hashed = []

    class Counting:  # the real hasher, counting the (slow) verifications
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            hashed.append(1)
            if stored == auth._DUMMY:  # an unknown name: refuse without spending the hash's time in this test
                raise VerificationError()
            return real.verify(stored, password)

    real = auth.hasher
    monkeypatch.setattr(auth, "hasher", Counting())
    username, password = demo_login(demo)
    me = browser()
    # spraying names: each name has its own budget, but the browser has one across all names (LOGIN_ANY)
    assert [login(me, f"niemand{n}", "geen-wachtwoord").status_code for n in range(10)] == [422] * 10
    assert len(hashed) == 10  # unknown names are hashed too (same time as known ones)...
    hashed.clear()
    refused = login(me, username, password)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert refusal_text(30) in refused.text
    assert hashed == [] and not signed_in_as_organiser(me)  # ...but a refused attempt is not
    # the organiser's own account was never locked, and another browser on the address signs in
    assert login(browser(), username, password).status_code == 303


def test_the_login_throttle_still_slows_the_guesser_per_name_per_browser_and_per_address(
        settings, demo, browser, clock):
    username, password = demo_login(demo)
    owner = browser()
    assert login(owner, username, password).status_code == 303  # the owner's browser, on the same address
    assert post_logout(owner)
    # a guesser who throws cookies away meets this name's budget on this address: 10, then a wait
    fresh = [login(browser(), username, f"vers-{n}").status_code for n in range(11)]
    assert fresh == [422] * 10 + [429]
    newcomer = login(browser(), username, password)
    assert newcomer.status_code == 429  # the trade-off: an unknown browser on that address waits too...
    assert newcomer.headers["retry-after"] == "30"
    assert login(owner, username, password).status_code == 303  # ...the owner's own browser does not
    assert post_logout(owner)
    assert login(Elsewhere(owner.client, "198.51.100.23"), username, password).status_code == 303  # nor elsewhere
    assert login(browser(), "iemand-anders", "fout").status_code == 422  # nor another name on that address
    # a guesser who keeps its cookie: 5 for this name, then 30 s, 60 s, ... up to 15 minutes
    clock.advance(HOUR + 60)  # a window after the first failure, no wait running: this address starts afresh
    guesser = browser()
    assert [login(guesser, username, f"gok-{n}").status_code for n in range(6)] == [422] * 5 + [429]
    waits = []
    for _ in range(6):
        clock.advance(int(login(guesser, username, "gok").headers["retry-after"]))
        assert login(guesser, username, "gok").status_code == 422
        waits.append(int(login(guesser, username, password).headers["retry-after"]))  # right password: refused
    assert waits == [60, 120, 240, 480, 900, 900]
    assert not signed_in_as_organiser(guesser)
    assert login(owner, username, password).status_code == 303


@pytest.mark.parametrize("keeps_cookies", [False, True], ids=["fresh-cookies", "one-browser"])
def test_lockout_a_guesser_failing_every_30_s_for_30_minutes_never_keeps_the_owner_out(
        settings, demo, client, browser, clock, keeps_cookies):
    """Before: nine wrong passwords over 240 s kept the account locked and the owner was refused 23 of 23 times.
    Now the guesser (address "testclient") only slows themselves down; the owner signs in every 5 simulated
    minutes from another address with a new browser, and from their own browser on the guesser's address."""
    username, password = demo_login(demo)
    own = browser()  # the owner signed in on this browser before (a device cookie), then signed out
    assert login(own, username, password).status_code == 303 and post_logout(own)
    guesser = browser()
    attempts = refused = 0
    owner_tries = owner_ok = 0
    for step in range(60):  # one guess every 30 s for 30 minutes
        attacker = guesser if keeps_cookies else browser()
        response = login(attacker, username, f"geraden-{step}")
        attempts += 1
        refused += response.status_code == 429
        assert response.status_code in (422, 429) and not signed_in_as_organiser(attacker)
        if step % 10 == 5:  # every 5 minutes, the owner signs in
            for person in (Elsewhere(client, f"198.51.100.{step}"), own):
                owner_tries += 1
                ok = login(person, username, password)
                owner_ok += ok.status_code == 303
                assert ok.status_code == 303, (step, ok.status_code)
                assert post_logout(person)
        clock.advance(30)
    print(f"\nlockout ({'one browser' if keeps_cookies else 'fresh cookies each time'}): guesser made {attempts} "
          f"attempts in 30 simulated minutes, {refused} refused (429), {attempts - refused} looked at; "
          f"owner signed in {owner_ok} of {owner_tries} times (another address, and their own browser on the "
          f"guesser's address)")
    assert attempts == 60 and owner_ok == owner_tries == 12
    # doubling waits: fresh cookies meet this name's address budget (10 free, then 30 s ... 15 min); one browser
    # meets its own (5 free, then 30 s ... 15 min) first
    assert refused == (50 if keeps_cookies else 45)
    assert query(settings, "SELECT failed_logins, locked_until FROM organiser WHERE username = :u",
                 u=username) == [(0, None)]


def test_lockout_answers_are_the_same_for_unknown_and_known_names_wrong_codes_and_when_throttled(
        settings, demo, browser, clock):
    username, password = demo_login(demo)
    secret = create_account(settings, "tweestaps", "een-lang-wachtwoord!", with_totp=True)
    wrong_code = "000000" if totp.code_at(secret, time.time()) != "000000" else "111111"
    answers = {
        "unknown user": login(browser(), "bestaat-niet", "een-wachtwoord"),
        "wrong password": login(browser(), username, "een-wachtwoord"),
        "wrong code": login(browser(), "tweestaps", "een-lang-wachtwoord!", code=wrong_code),
        "no code": login(browser(), "tweestaps", "een-lang-wachtwoord!"),
    }
    assert {(r.status_code, alert(r)) for r in answers.values()} == {(422, refusal_wording())}
    # throttled: a known and an unknown name go through exactly the same answers, in the same order
    known, unknown = browser(), browser()
    known_run = [login(known, username, f"fout-{n}") for n in range(7)]
    unknown_run = [login(unknown, "bestaat-ook-niet", f"fout-{n}") for n in range(7)]
    right = login(known, username, password)  # the right password while throttled: the same answer again
    seen = [[(r.status_code, r.headers.get("retry-after"), alert(r)) for r in run] for run in (known_run, unknown_run)]
    assert seen[0] == seen[1]
    assert [status for status, _, _ in seen[0]] == [422] * 5 + [429] * 2
    assert (right.status_code, right.headers.get("retry-after"), alert(right)) == seen[0][-1]
    assert alert(right) == refusal_text(30) and "bestaat" not in alert(right)
    print(f"\nlockout answers: failure {alert(answers['unknown user'])!r}; throttled {alert(right)!r} "
          "(identical for known and unknown names)")


# --- participants' actions -----------------------------------------------------------------------------


def test_upvotes_and_poll_votes_have_a_per_participant_budget_with_a_clear_429(
        settings, demo, browser, clock, monkeypatch):
    people = signed_in(browser, demo, (ERIK, FATIMA, JAN, MODERATOR))
    ask(people[ERIK], "Hoe houden we elkaar vast na vandaag?")
    qid = question_id(settings, "Hoe houden we elkaar vast na vandaag?")
    moderate(people[MODERATOR], qid, "approve")
    url = f"/e/{SLUG}/questions/{qid}/vote"
    statuses = [people[FATIMA].post(url, {"up": str((n + 1) % 2)}).status_code for n in range(61)]
    assert statuses == [200] * 60 + [429]
    refused = people[FATIMA].post(url, {"up": "1"})
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 10
    assert refusal_text(int(refused.headers["retry-after"])) in refused.text and "is-error" in refused.text
    assert people[JAN].post(url, {"up": "1"}).status_code == 200  # others are not affected
    clock.advance(60)
    assert people[FATIMA].post(url, {"up": "1"}).status_code == 200

    # the poll's vote route has the same guard (a smaller budget here only to keep the test short)
    monkeypatch.setattr(throttle, "POLL_VOTE", throttle.Rule("poll-vote", throttle.Budget(5, 60, 10, 60), None, False))
    poll_id, options = poll_question(settings, 1)
    assert open_poll(people, poll_id).status_code == 200
    votes = [poll_vote(people[JAN], poll_id, option=str(options[n % 2])).status_code for n in range(6)]
    assert votes == [200] * 5 + [429]
    assert poll_vote(people[ERIK], poll_id, option=str(options[0])).status_code == 200


# --- the policy itself ---------------------------------------------------------------------------------


def test_the_login_policy_waits_after_a_few_failures_per_name_and_never_per_account_alone() -> None:
    assert throttle.LOGIN.per_account and not throttle.LOGIN_ANY.per_account
    assert [throttle.LOGIN.browser.wait(n) for n in range(1, 11)] == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900]
    assert [throttle.LOGIN.address.wait(n) for n in range(9, 12)] == [0, 30, 60]
    assert not hasattr(throttle, "ACCOUNT")  # the account-wide lock is gone


def test_a_count_starts_afresh_a_window_after_its_first_failure_once_no_wait_runs() -> None:
    budget = throttle.Budget(free=3, window=100, base=10, cap=40)
    count = throttle.Count(0, 0.0, 0.0)
    for second in (0, 1, 2):
        count = count.after(budget, second)
    assert (count.n, count.until) == (3, 12)
    assert count.after(budget, 50).n == 4  # within the window: adds up
    assert count.after(budget, 150).n == 1  # a window later, not waiting: afresh
    locked = throttle.Count(9, 0.0, 200.0)
    assert locked.after(budget, 150).n == 10  # still waiting: never afresh


def test_addresses_group_an_ipv6_network_and_keep_ipv4_apart() -> None:
    def at(host: str) -> str:
        return throttle.client_address(SimpleNamespace(client=SimpleNamespace(host=host)))

    assert at("2001:db8:1:2:aaaa::1") == at("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert at("2001:db8:1:3::1") != at("2001:db8:1:2::1")
    assert at("::ffff:192.0.2.7") == at("192.0.2.7") == "192.0.2.7"
    assert at("192.0.2.7") != at("192.0.2.8")


async def test_the_memory_store_forgets_the_oldest_key_past_its_bound() -> None:
    store = throttle.MemoryStore(max_keys=3)
    budget = throttle.Budget(1, 60, 1, 1)
    for key in "abcd":
        await store.add([(key, budget)], 0.0)
    assert set(await store.get(list("abcd"))) == {"b", "c", "d"}
