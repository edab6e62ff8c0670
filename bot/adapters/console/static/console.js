// Keep the incident room live without reloading: when the ledger grows, fetch the
// page again and swap in the parts that changed. No framework, nothing from a CDN.
(function () {
  const timeline = document.getElementById("timeline");
  if (!timeline) { return; }
  let known = Number(timeline.dataset.entries);
  async function refresh() {
    try {
      const live = await fetch(timeline.dataset.live, { credentials: "same-origin" });
      if (!live.ok) { return; }
      const { entries } = await live.json();
      if (entries === known) { return; }
      const page = await fetch(window.location.href, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
      for (const id of ["timeline", "requests", "status", "commander", "escalation"]) {
        const now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.replaceWith(next); }
      }
      known = entries;
    } catch (err) { /* offline for a moment: try again on the next tick */ }
  }
  setInterval(refresh, 2000);
})();
