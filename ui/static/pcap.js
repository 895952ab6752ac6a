// PCAP analysis page: a click (or Enter) on a field of the decode tree highlights its bytes in the
// hex view; Close hides the decode panel. Delegated from the document, so panels htmx swaps in
// work too. No external code.
(function () {
  "use strict";
  function highlight(field) {
    const panel = field.closest(".pcap-detail");
    if (!panel) return;
    panel.querySelectorAll(".pcap-field.is-selected").forEach(function (e) {
      e.classList.remove("is-selected");
    });
    panel.querySelectorAll(".hex-view .is-hl").forEach(function (e) {
      e.classList.remove("is-hl");
    });
    field.classList.add("is-selected");
    const start = Number(field.getAttribute("data-start"));
    const len = Number(field.getAttribute("data-len"));
    if (!len) return;
    panel.querySelectorAll(".hex-view [data-o]").forEach(function (e) {
      const o = Number(e.getAttribute("data-o"));
      if (o >= start && o < start + len) e.classList.add("is-hl");
    });
  }
  document.addEventListener("click", function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const close = target.closest(".pcap-close");
    if (close) {
      event.preventDefault();
      close.closest(".detail-panel").classList.remove("is-open");
      return;
    }
    const field = target.closest(".pcap-field");
    if (field) highlight(field);
  });
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "Enter" && target instanceof Element && target.matches("li.pcap-field")) {
      highlight(target);
    }
  });
})();
