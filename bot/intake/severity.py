"""Every detector's severity, on Blastwall's one scale (SEV1 is the worst).

Detectors speak words (critical ... informational), numbers (GuardDuty and CVSS
use 0-10) or enumerations (OCSF ``severity_id``). Playbooks decide on SEV1-SEV4,
so each door translates here, with one table for all of them:

| detector says                            | SEV  |
|------------------------------------------|------|
| ``critical``, ``fatal``; 9.0-10.0; OCSF 5, 6 | SEV1 |
| ``high``; 7.0-8.9; OCSF 4                | SEV2 |
| ``medium``, ``moderate``; 4.0-6.9; OCSF 3 | SEV3 |
| ``low``, ``informational``, ``info``; 0.0-3.9; OCSF 1, 2 | SEV4 |
| OCSF 0 (unknown) or 99 (other)           | the finding's ``severity`` word, else SEV3 |

The number bands are GuardDuty's own (Low 1.0-3.9, Medium 4.0-6.9, High
7.0-8.9, Critical 9.0-10.0), which are also CVSS's. An unknown OCSF severity
is treated as medium, not dropped: a finding nobody graded still deserves a look.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from bot.core.incidents import Severity

WORDS: dict[str, Severity] = {
    "critical": Severity.SEV1,
    "fatal": Severity.SEV1,
    "high": Severity.SEV2,
    "medium": Severity.SEV3,
    "moderate": Severity.SEV3,
    "low": Severity.SEV4,
    "informational": Severity.SEV4,
    "info": Severity.SEV4,
}
OCSF_IDS: dict[int, Severity] = {
    1: Severity.SEV4,
    2: Severity.SEV4,
    3: Severity.SEV3,
    4: Severity.SEV2,
    5: Severity.SEV1,
    6: Severity.SEV1,
}
UNGRADED = Severity.SEV3


def from_number(score: float) -> Severity:
    """A 0-10 score (GuardDuty, CVSS). Out of range or not a number is refused."""
    if isinstance(score, bool) or not math.isfinite(score) or not 0 <= score <= 10:
        raise ValueError("a numeric severity is between 0 and 10")
    if score >= 9:
        return Severity.SEV1
    if score >= 7:
        return Severity.SEV2
    if score >= 4:
        return Severity.SEV3
    return Severity.SEV4


def from_word(word: str) -> Severity:
    """SEV1-SEV4 as they are, or a detector's word (any case)."""
    cleaned = word.strip()
    if cleaned.upper() in Severity.__members__:
        return Severity(cleaned.upper())
    found = WORDS.get(cleaned.lower())
    if found is None:
        raise ValueError(
            "severity is SEV1-SEV4, critical|high|medium|low|informational, or a number 0-10"
        )
    return found


def from_ocsf(severity_id: int, caption: str | None) -> Severity:
    if severity_id in OCSF_IDS:
        return OCSF_IDS[severity_id]
    if caption and caption.strip().lower() in WORDS:
        return WORDS[caption.strip().lower()]
    return UNGRADED


def parse(value: Any) -> Severity:
    """Any of the accepted forms; a pydantic validator, so errors name the field."""
    if isinstance(value, Severity):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_number(float(value))
    if isinstance(value, str):
        return from_word(value)
    raise ValueError("severity is a word or a number 0-10")


AnySeverity = Annotated[
    Severity,
    BeforeValidator(parse, json_schema_input_type=str | float),
    Field(
        description="SEV1-SEV4, critical|high|medium|low|informational, or a number 0-10 "
        "(9-10 SEV1, 7-8.9 SEV2, 4-6.9 SEV3, below 4 SEV4)"
    ),
]
