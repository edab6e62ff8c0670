// Layout boxes of a console page: what looks.inspect checks (see its docstring).
(() => {
  const problems = [];
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  }
  const cards = [...document.querySelectorAll("main > .card, main > section, main > form.card")]
    .map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
  for (let i = 1; i < cards.length; i++) {
    if (cards[i].top < cards[i - 1].bottom - 1) { problems.push(`card ${i} overlaps card ${i - 1}`); }
  }
  for (const e of document.querySelectorAll("main button, main a.button, main input:not([type=hidden]), main select")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { continue; }  // inside a closed <details>
    if (r.width < 24 || r.height < 24) { problems.push(`${e.outerHTML.slice(0, 60)} is ${r.width}x${r.height}`); }
    if (e.tagName === "BUTTON" && e.scrollWidth > e.clientWidth + 1) { problems.push(`${e.textContent} is clipped`); }
  }
  const outline = [...document.querySelectorAll("main h1, main h2")].map(h => h.tagName + " " + h.textContent.trim().replace(/\s+/g, " "));
  return { problems, outline };
})
