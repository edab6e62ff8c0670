"""How a console page looks, checked after each screenshot.

Three checks, chosen to be stable on a shared machine whose fonts and load vary:

- Layout boxes (every page): nothing overflows the viewport sideways, the cards do
  not overlap, every control is at least 24x24 CSS pixels (WCAG 2.2 target size) and
  no button's text is clipped; the page's headings, in order, match the committed
  outline in ``baselines/NAME.json`` (incident ids and times masked).
- Pixels (pages without data: sign-in, signed-out, not found): the screenshot matches
  the committed ``baselines/NAME.png`` within a tolerance (Pillow: at most 1% of the
  pixels differ by more than 48 in any channel). Pages with incident data would
  differ on every run (ids, times, moto's key ids), so they get the box checks only.
- Accessibility (every page): axe-core from npm, injected into the page, reports no
  serious or critical violation.

``BLASTWALL_UPDATE_BASELINES=1`` rewrites the baselines (review the diff before
committing them). Screenshots go to ``test-artifacts/console/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops
from playwright.async_api import Page

from tests.console.conftest import ARTIFACTS

BASELINES = Path(__file__).parent / "baselines"
UPDATE = os.environ.get("BLASTWALL_UPDATE_BASELINES") == "1"
MASKS = (
    (re.compile(r"INC-\d{8}-\d{4,}"), "INC-…"),
    (re.compile(r"\d{2}:\d{2}(:\d{2})?"), "…:…"),
    (re.compile(r"AKIA[A-Z0-9]{12,}"), "AKIA…"),
)
PIXEL_STEP = 48
PIXEL_SHARE = 0.01

_BOXES = (Path(__file__).parent / "boxes.js").read_text()


def _masked(text: str) -> str:
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text


async def inspect(page: Page, name: str, axe: str, *, pixels: bool = False) -> None:
    """Screenshot ``page`` as NAME.png, then check its boxes, outline, pixels and axe."""
    shot = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(shot), full_page=True)
    found: dict[str, Any] = await page.evaluate(_BOXES)
    assert found["problems"] == [], f"{name}: {found['problems']}"
    _compare_outline(name, [_masked(line) for line in found["outline"]])
    if pixels:
        _compare_pixels(name, shot)
    await _axe(page, name, axe)


def _compare_outline(name: str, outline: list[str]) -> None:
    path = BASELINES / f"{name}.json"
    if UPDATE or not path.exists():
        assert UPDATE, f"no baseline {path}: run with BLASTWALL_UPDATE_BASELINES=1"
        path.write_text(json.dumps(outline, indent=1) + "\n")
    assert outline == json.loads(path.read_text()), f"{name}: the page's headings changed"


def _compare_pixels(name: str, shot: Path) -> None:
    path = BASELINES / f"{name}.png"
    if UPDATE or not path.exists():
        assert UPDATE, f"no baseline {path}: run with BLASTWALL_UPDATE_BASELINES=1"
        Image.open(shot).convert("RGB").save(path, optimize=True)
    with Image.open(path) as base, Image.open(shot) as now:
        before, after = base.convert("RGB"), now.convert("RGB")
        assert before.size == after.size, f"{name}: {after.size} now, {before.size} in the baseline"
        diff = ImageChops.difference(before, after).convert("L")
        changed = sum(diff.point(lambda v: 255 if v > PIXEL_STEP else 0).histogram()[255:])
        share = changed / (after.size[0] * after.size[1])
        if share > PIXEL_SHARE:
            diff.save(ARTIFACTS / f"{name}.diff.png")
        assert share <= PIXEL_SHARE, f"{name}: {share:.1%} of the pixels changed (see .diff.png)"


async def _axe(page: Page, name: str, axe: str) -> None:
    await page.add_script_tag(content=axe)
    result: dict[str, Any] = await page.evaluate(
        "async () => await axe.run(document, { resultTypes: ['violations'] })"
    )
    grave = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert grave == [], f"{name}: axe found {grave}"
