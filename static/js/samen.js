// Samen's only page script: the live-connection indicator, and small helpers that htmx does not cover.
// No inline scripts anywhere (the CSP is script-src 'self').
(function () {
  "use strict";

  // htmx's "settle" step copies class, style, width and height from each element an innerHTML/outerHTML swap
  // replaces onto its replacement with setAttribute, and puts the new values back a moment later. The CSP
  // (style-src 'self', no inline styles) refuses such a style attribute: a console error after a question was
  // sent whenever the old control carried one (a text box the person resized, anything styled through the CSSOM).
  // Samen has no settle transitions, so there is no settle step at all.
  if (window.htmx && window.htmx.config) window.htmx.config.defaultSettleDelay = 0;

  function setLiveState(state) {
    var live = document.getElementById("live");
    var status = document.getElementById("live-status");
    if (!live || !status) return;
    if (status.dataset.state === state) return;
    status.dataset.state = state;
    status.textContent = state === "online" ? live.dataset.online : live.dataset.offline;
  }

  document.addEventListener("htmx:ws:after:connection", function () { setLiveState("online"); });
  document.addEventListener("htmx:ws:close", function () { setLiveState("offline"); });
  document.addEventListener("htmx:ws:error", function () { setLiveState("offline"); });

  // Select the whole personal link on focus, so it is easy to copy on a phone.
  document.addEventListener("focusin", function (event) {
    if (event.target && event.target.id === "personal-link") event.target.select();
  });

  // --- Live lists: personal state, sorting, filtering, pausing (WCAG 2.2.2) ------------------------------

  // Which questions I upvoted travels on my personal topic (#my-votes), never inside the shared list.
  function applyMyVotes() {
    var mine = document.getElementById("my-votes");
    var ids = mine ? (mine.dataset.ids || "").split(" ") : [];
    document.querySelectorAll("#question-list [data-question]").forEach(function (item) {
      var button = item.querySelector("button.upvote");
      if (!button) return;
      var voted = ids.indexOf(item.dataset.question) !== -1;
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      button.value = voted ? "0" : "1";
    });
  }

  function sortList(select) {
    var list = document.querySelector(select.dataset.sorts);
    if (!list) return;
    var items = Array.prototype.slice.call(list.children).filter(function (li) { return li.dataset.order; });
    var how = select.value;
    var before = items.slice();
    items.sort(function (a, b) {
      if (how === "votes") return (b.dataset.votes - a.dataset.votes) || (b.dataset.order - a.dataset.order);
      if (how === "newest") return b.dataset.order - a.dataset.order;
      return a.dataset.order - b.dataset.order;
    });
    // Move items only when the order changed, and give focus back: re-inserting the focused element (or the one
    // holding it) blurs it, which would send a keyboard user back to the top of the page after every update.
    if (items.every(function (li, i) { return li === before[i]; })) return;
    var active = document.activeElement;
    items.forEach(function (li) { list.appendChild(li); });
    if (active && active !== document.activeElement && document.contains(active)) active.focus({ preventScroll: true });
  }

  function filterList(select) {
    var scope = document.querySelector(select.dataset.filters);
    if (!scope) return;
    scope.querySelectorAll("[data-status]").forEach(function (item) {
      var show = select.value === "all" || item.dataset.status === select.value ||
        (select.value === "starred" && item.dataset.starred === "1") ||
        (select.value === "approved" && item.dataset.status === "on_air");
      item.hidden = !show;
    });
  }

  // My poll answers travel on my personal topic (#my-ballot); tick them in the open question's form.
  function applyMyBallot() {
    var holder = document.getElementById("my-ballot");
    var form = document.querySelector("form.poll-form[data-question]");
    if (!holder || !form || form.dataset.applied === holder.dataset.ballots) return;
    var ballots = {};
    try { ballots = JSON.parse(holder.dataset.ballots || "{}"); } catch (e) { return; }
    var mine = ballots[form.dataset.question];
    form.dataset.applied = holder.dataset.ballots;
    if (!mine) return;
    form.querySelectorAll("input[name=option]").forEach(function (input) {
      input.checked = mine.options.indexOf(parseInt(input.value, 10)) !== -1;
    });
    form.querySelectorAll("input[name=value]").forEach(function (input) {
      input.checked = String(mine.value) === input.value;
    });
    var text = form.querySelector("[name=text]");
    if (text && document.activeElement !== text) text.value = mine.text || "";
  }

  function refreshLists() {
    applyMyVotes();
    applyMyBallot();
    document.querySelectorAll("select[data-sorts]").forEach(sortList);
    document.querySelectorAll("select[data-filters]").forEach(filterList);
  }

  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t.matches && t.matches("select[data-sorts]")) sortList(t);
    if (t.matches && t.matches("select[data-filters]")) filterList(t);
  });

  // Pausing: while paused, pushed versions of that list are held back; resuming shows the newest one.
  var held = {};
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-pause]");
    if (!button) return;
    var paused = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    button.textContent = paused ? button.dataset.labelPaused : button.dataset.labelLive;
    var selector = button.dataset.pause;
    if (!paused && held[selector]) {
      var target = document.querySelector(selector);
      var html = held[selector];
      delete held[selector];
      // A morph, as the live update itself would have been: what the person opened (a results table) stays open.
      if (target && window.htmx) {
        window.htmx.swap({ sourceElement: button, target: target, swap: "outerMorph", text: html, transition: false })
          .then(refreshLists);
      }
    }
  });
  document.addEventListener("htmx:before:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var tasks = event.detail && event.detail.tasks;
    if (!tasks) return;
    document.querySelectorAll("button[data-pause][aria-pressed='true']").forEach(function (button) {
      var selector = button.dataset.pause;
      for (var i = tasks.length - 1; i >= 0; i--) {
        var task = tasks[i];
        var target = task.target;
        if (target && target.matches && target.matches(selector)) {
          var holder = document.createElement("div");
          holder.appendChild(task.fragment.cloneNode(true));
          held[selector] = holder.innerHTML;
          tasks.splice(i, 1);
        }
      }
    });
    return ctx;
  });

  document.addEventListener("htmx:after:swap", refreshLists);
  document.addEventListener("htmx:ws:after:message:incoming", refreshLists);

  // --- Open disclosures stay open through live updates ----------------------------------------------------
  // A morph keeps a <details> and its open attribute (the htmx-config's morphIgnore has "open"), but a fragment
  // that is replaced (outerHTML) comes back closed. Note which ones were open in each swap's targets and open them
  // again afterwards. A <details> is found again by its id, or else by the id of its nearest ancestor with one
  // (or of that ancestor's child with one, such as a result's heading) and its position there.
  var reopen = [];
  function detailsKey(details) {
    if (details.id) return { id: details.id };
    for (var scope = details.parentElement; scope && scope !== document.body; scope = scope.parentElement) {
      var anchor = scope.id ? scope : scope.querySelector(":scope > [id]");
      if (anchor) {
        return { id: anchor.id, own: anchor === scope,
                 index: Array.prototype.indexOf.call(scope.querySelectorAll("details"), details) };
      }
    }
    return null;
  }
  function detailsByKey(key) {
    var anchor = document.getElementById(key.id);
    if (!anchor || key.index === undefined) return anchor;
    var scope = key.own ? anchor : anchor.parentElement;
    return scope ? scope.querySelectorAll("details")[key.index] : null;
  }
  document.addEventListener("htmx:before:swap", function (event) {
    var tasks = event.detail && event.detail.tasks;
    if (!tasks) return;
    tasks.forEach(function (task) {
      var target = task.target;
      if (!target || !target.querySelectorAll) return;
      var open = Array.prototype.slice.call(target.querySelectorAll("details[open]"));
      if (target.matches("details[open]")) open.push(target);
      open.forEach(function (details) {
        var key = detailsKey(details);
        if (key) reopen.push(key);
      });
    });
  });
  function reopenDetails() {
    var keys = reopen;
    reopen = [];
    keys.forEach(function (key) {
      var details = detailsByKey(key);
      if (details && details.tagName === "DETAILS" && !details.open) details.open = true;
    });
  }

  // --- The current part first (participant page) -------------------------------------------------------------
  // The stylesheet puts the current part's section right under the "now" header (the live #programme says which
  // part is on). When the block moves on, the new part's section unfolds, the others fold (not one the person is
  // typing in), the programme folds away during a part (it is open before the start and after the end), and a
  // screen reader hears what is on now.
  var shownPhase = null;
  function followPhase() {
    var programme = document.getElementById("programme");
    if (!programme) return;
    var phase = programme.dataset.phase;
    var live = programme.dataset.status === "live";
    if (shownPhase === null || phase === shownPhase) {
      shownPhase = phase;  // the first render: the server folded everything for this phase already
      return;
    }
    shownPhase = phase;
    var active = document.activeElement;
    var more = document.getElementById("programme-more");
    if (more && !(more.contains(active) && more.open)) more.open = !live;
    document.querySelectorAll("details.part-fold").forEach(function (fold) {
      var section = fold.closest("[data-kind]");
      var open = !live || (section !== null && section.dataset.kind === phase);
      if (open || !fold.contains(active)) fold.open = open;
    });
    // A confirmation about an invitation belongs to the part it came in; it would only push the new part down.
    var answered = document.getElementById("invitation-status");
    if (answered) answered.textContent = "";
    var announcement = document.getElementById("phase-announcement");
    var title = document.getElementById("programme-now");
    if (announcement && title) {
      var eyebrow = live ? programme.querySelector(".eyebrow") : null;
      announcement.textContent = ((eyebrow ? eyebrow.textContent + " " : "") + title.textContent).replace(/\s+/g, " ").trim();
    }
  }

  // --- An invitation to react live (participant page) -------------------------------------------------------
  // It may arrive while the person reads far down the page, or is in another tab: the banner sits over the top of
  // the screen (stylesheet) and announces itself (role="alert"); here focus moves to its first button, the tab's
  // title gets a mark, and a short chime plays. Answered (or withdrawn), the title is restored and focus goes back
  // to where it was, as when a dialog closes. Also for an invitation that is already there when the page opens.
  var baseTitle = document.title;
  var invitationShown = null;
  var focusBeforeInvitation = null;
  var invitationFocusedAt = 0;
  var audio = null;
  function chime() {
    var activation = navigator.userActivation;
    if (!activation || !activation.hasBeenActive) return;  // browsers allow sound only once the page was touched
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context) {
      try {
        audio = audio || new Context();
        if (audio.state === "suspended") audio.resume().catch(function () {});
        var start = audio.currentTime + 0.05;
        [659.25, 880].forEach(function (frequency, i) {
          var at = start + i * 0.18;
          var tone = audio.createOscillator();
          var gain = audio.createGain();
          tone.frequency.value = frequency;
          gain.gain.setValueAtTime(0.0001, at);
          gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
          gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.4);
          tone.connect(gain).connect(audio.destination);
          tone.start(at);
          tone.stop(at + 0.45);
        });
      } catch (e) { /* no sound: the banner, the focus and the title still tell */ }
    }
    if (navigator.vibrate) navigator.vibrate([150, 100, 150]);
  }
  function followInvitation() {
    var box = document.querySelector("#invitation [data-invitation]");
    var pending = box && box.dataset.status === "pending" ? box : null;
    if (pending) {
      var marked = pending.dataset.title + " – " + baseTitle;
      if (document.title !== marked) document.title = marked;
      if (invitationShown === pending.dataset.invitation) return;
      invitationShown = pending.dataset.invitation;
      var active = document.activeElement;
      focusBeforeInvitation = active && active !== document.body && !pending.contains(active) ? active : null;
      var first = pending.querySelector("button");
      if (first) {
        first.focus({ preventScroll: true });
        invitationFocusedAt = Date.now();
      }
      chime();
      return;
    }
    if (document.title !== baseTitle) document.title = baseTitle;
    if (invitationShown === null) return;
    invitationShown = null;
    var back = focusBeforeInvitation;
    focusBeforeInvitation = null;
    var now = document.activeElement;
    if (now && now !== document.body && !(box && box.contains(now))) return;  // the person has moved on already
    var main = document.getElementById("main");
    if (back && document.contains(back)) back.focus({ preventScroll: true });
    else if (main) main.focus({ preventScroll: true });
  }
  // Someone typing a question when the invitation takes the focus must not answer it with their next space or
  // Enter: keys on its buttons count only after a moment.
  ["keydown", "keyup"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (Date.now() - invitationFocusedAt > 1000) return;
      if ((event.key === " " || event.key === "Enter") && event.target.closest && event.target.closest("#invitation")) {
        event.preventDefault();
      }
    }, true);
  });

  // --- The consoles lead with the running part ------------------------------------------------------------
  // On the organiser's and the moderator's consoles, the section of the part that runs now (the seating at lunch,
  // the poll's control during the poll) comes first in its column, so the work of the moment is on the first
  // screen; the others keep the programme's order. Moved in the DOM, not with CSS order, so the keyboard and
  // screen-reader order is the order that is seen. Nothing moves while something in it has focus.
  var PART_ORDER = ["debate", "poll", "lunch", "closing"];
  function leadWithRunningPart() {
    var programme = document.getElementById("programme");
    if (!programme) return;
    var phase = programme.dataset.phase;
    var active = document.activeElement;
    document.querySelectorAll("[data-leads-with-phase]").forEach(function (column) {
      var children = Array.prototype.slice.call(column.children);
      function rank(el) {
        if (el.hasAttribute("data-stays-first")) return -2;
        var kind = el.getAttribute("data-part-kind");
        if (kind === phase) return -1;
        var at = PART_ORDER.indexOf(kind);
        return at < 0 ? PART_ORDER.length : at;
      }
      var wanted = children.map(function (el, i) { return { el: el, rank: rank(el), i: i }; })
        .sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
      // Which elements have to move (one at a time, as insertBefore does)? Not one that holds the focus.
      var order = children.slice(), moving = [];
      wanted.forEach(function (item, i) {
        if (order[i] !== item.el) {
          moving.push(item.el);
          order.splice(order.indexOf(item.el), 1);
          order.splice(i, 0, item.el);
        }
      });
      if (moving.some(function (el) { return el.contains(active); })) return;
      moving.forEach(function (el) { column.insertBefore(el, column.children[order.indexOf(el)]); });
    });
  }

  function afterUpdate() {
    reopenDetails();
    followPhase();
    leadWithRunningPart();
    followInvitation();
  }
  // Before keepFocus below: an answered invitation gives focus back itself.
  document.addEventListener("htmx:after:swap", afterUpdate);

  // --- Keyboard focus through swaps and live updates ------------------------------------------------------
  // htmx replaces elements: a form by its answer, a question whose buttons change, a list item merged away.
  // When the element that had focus leaves the page, focus falls to <body> and a keyboard user has to start
  // again from the top. Put it on the nearest element that is still there: the nearest remembered ancestor
  // with an id, if focusable, else its first control that takes focus.
  var lastFocus = null;
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
  document.addEventListener("focusin", function (event) {
    var ids = [];
    for (var node = event.target; node && node !== document.body; node = node.parentElement) {
      if (node.id) ids.push(node.id);
    }
    lastFocus = { el: event.target, ids: ids };
  });
  function keepFocus() {
    if (!lastFocus || document.contains(lastFocus.el)) return;
    var active = document.activeElement;
    if (active && active !== document.body && active !== document.documentElement) return;
    for (var i = 0; i < lastFocus.ids.length; i++) {
      var found = document.getElementById(lastFocus.ids[i]);
      if (!found) continue;
      var candidates = found.matches(FOCUSABLE) ? [found] : found.querySelectorAll(FOCUSABLE);
      for (var j = 0; j < candidates.length; j++) {
        candidates[j].focus({ preventScroll: true });
        if (document.activeElement === candidates[j]) return;
      }
    }
  }
  document.addEventListener("htmx:after:swap", keepFocus);
  document.addEventListener("htmx:ws:after:message:incoming", keepFocus);

  // --- Moderator: keyboard shortcuts and the debate timer -------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var item = document.activeElement && document.activeElement.closest && document.activeElement.closest(".queue-item");
    if (!item || document.activeElement !== item) return;
    var key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item:not([hidden])"));
      var next = items[items.indexOf(item) + (key === "j" ? 1 : -1)];
      if (next) next.focus();
      event.preventDefault();
      return;
    }
    var button = item.querySelector("button[data-key='" + key + "']");
    if (button) { button.click(); event.preventDefault(); }
  });

  function tickTimer() {
    var timer = document.getElementById("debate-timer");
    var programme = document.getElementById("programme");
    if (!timer || !programme) return;
    if (programme.dataset.phase !== "debate" || !programme.dataset.since) {
      timer.textContent = timer.dataset.idle;
      timer.classList.remove("is-over");
      return;
    }
    var elapsed = Math.max(0, Math.floor((Date.now() - Date.parse(programme.dataset.since)) / 1000));
    var total = (parseInt(timer.dataset.minutes, 10) || 45) * 60;
    function fmt(s) { return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2); }
    timer.textContent = timer.dataset.label + ": " + fmt(elapsed) + " / " + fmt(total);
    timer.classList.toggle("is-over", elapsed > total);
  }
  setInterval(tickTimer, 1000);

  // After a failed form post, move focus to the error summary so keyboard and screen-reader users find it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
    refreshLists();
    tickTimer();
    afterUpdate();
  });
})();
