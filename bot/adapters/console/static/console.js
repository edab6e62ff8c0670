// Keep an incident room live without reloading: poll the ledger's size (every 2 s while
// the tab is visible, for at most 30 minutes), and when it grows fetch the page again and
// swap in the sections that changed. A section holding a field the person is typing in
// is left alone; the banners of the last action are cleared, since they are now history.
// No framework, nothing from a CDN, no inline script (the CSP forbids it).
(function () {
  const timeline = document.getElementById("timeline");
  if (!timeline || !timeline.dataset.poll) { return; }
  const PERIOD_MS = 2000, MAX_POLLS = 900;
  let known = Number(timeline.dataset.entries), polls = 0, busy = false;

  function typingIn(section) {
    const active = document.activeElement;
    return active && section.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  async function refresh() {
    if (document.hidden || busy) { return; }
    if (++polls > MAX_POLLS) { clearInterval(timer); return; }
    busy = true;
    try {
      const live = await fetch(timeline.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!live.ok) { return; }
      const { entries } = await live.json();
      if (entries === known) { return; }
      const page = await fetch(window.location.href, { credentials: "same-origin" });
      if (!page.ok) { return; }
      const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
      for (const id of ["status", "flash"]) {
        const now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.replaceWith(next); }
      }
      for (const section of document.querySelectorAll("[data-live]")) {
        const next = fresh.getElementById(section.id);
        if (next && !typingIn(section)) { section.replaceWith(next); }
      }
      known = entries;
    } catch (err) {
      // offline for a moment: try again on the next tick
    } finally {
      busy = false;
    }
  }
  const timer = setInterval(refresh, PERIOD_MS);
})();
