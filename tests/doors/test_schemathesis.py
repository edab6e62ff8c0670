"""Schemathesis against ``/openapi.json`` of a running ``blastwall serve``: no 5xx, ever.

Bounded (25 examples per operation, no deadline) so it stays a test, not a soak.
Schemathesis' pytest plugin cannot take a per-test server, so the operations are
driven here with hypothesis directly.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.scenarios.harness import Blastwall

pytestmark = pytest.mark.db
EXAMPLES = 25


def _fuzz(operation: Any, served: Blastwall) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=served.bearer, checks=[not_a_server_error])

    run()


def test_no_operation_answers_with_a_server_error(blastwall: Blastwall) -> None:
    schema = schemathesis.openapi.from_url(f"{blastwall.url}/openapi.json")
    schema.config.update(base_url=blastwall.url)
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/alerts", "/healthz"}
    for operation in operations:
        _fuzz(operation, blastwall)
    assert "Traceback" not in blastwall.log.read_text()
