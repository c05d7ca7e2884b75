// The presenter's screen: texts that must fit their box on the beamer shrink until they do.
//
// Every element marked data-fit gets its font size from CSS as calc(var(--fit) * <size for its length>); this
// script finds the largest --fit (at most 1) at which the element's content no longer overflows it, by bisection.
// The children of an element marked data-fit-all are fitted so, then all get the smallest of their sizes.
// It runs when the page loads, when the window changes size, when fonts arrive and after every live update.
// --fit is set through the CSSOM (element.style.setProperty), which the CSP (style-src 'self') allows.
(function () {
  "use strict";
  var SMALLEST = 0.3;  // below this a text is unreadable anyway; CSS clips what is left (never the page)
  var STEPS = 7;       // bisection steps: within 1 % of the best size

  function overflows(el) {
    return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
  }

  function fit(el) {
    el.style.setProperty("--fit", "1");
    if (!el.clientHeight || !overflows(el)) return;  // hidden, or it fits as it is
    var low = SMALLEST, high = 1;
    for (var i = 0; i < STEPS; i++) {
      var middle = (low + high) / 2;
      el.style.setProperty("--fit", String(middle));
      if (overflows(el)) high = middle; else low = middle;
    }
    el.style.setProperty("--fit", String(low));
  }

  // A group of cards (open answers, lunch tables) reads as one: every card gets the size the tightest one needs.
  function fitGroup(group) {
    var cards = Array.prototype.slice.call(group.children);
    var smallest = 1;
    cards.forEach(function (card) {
      fit(card);
      smallest = Math.min(smallest, parseFloat(card.style.getPropertyValue("--fit")) || 1);
    });
    cards.forEach(function (card) { card.style.setProperty("--fit", String(smallest)); });
  }

  function fitAll() {
    document.querySelectorAll("main [data-fit]").forEach(fit);
    // The lunch tables' fragment (templates/tables/_overview.html) has no data-fit-all of its own.
    document.querySelectorAll("main [data-fit-all], #tables-overview .table-grid").forEach(fitGroup);
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fitAll();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fitAll();
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(schedule);
    // Live updates swap fragments in (out of band, over the WebSocket): refit after any change of content.
    // Changes inside a chart (plotly drawing) and our own --fit settings (attributes) are not content.
    var main = document.getElementById("main");
    if (main && window.MutationObserver) {
      new MutationObserver(function (records) {
        for (var i = 0; i < records.length; i++) {
          var target = records[i].target;
          var element = target.nodeType === 1 ? target : target.parentElement;
          if (!element || !element.closest(".js-plotly-plot")) {
            schedule();
            return;
          }
        }
      }).observe(main, { childList: true, subtree: true, characterData: true });
    }
  });
  window.addEventListener("resize", schedule);
  window.samenFitText = fitAll;
})();
