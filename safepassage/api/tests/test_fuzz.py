"""Schemathesis against the served OpenAPI document: no 5xx, answers as documented.

The application is called through its WSGI handler (in this process, no
network). Path parameters are half the time generated and half the time the
slugs, uuids and keys of real rows, so the fuzzing reaches the code behind
the 404s. The team's endpoints are fuzzed with an organiser's write token.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import pytest
from django.core.wsgi import get_wsgi_application

from conftest import require
from safepassage.accounts.tests.world import build_world
from safepassage.api.models import ApiToken
from safepassage.api.tests.helpers import make_signature
from safepassage.core.middleware import FORBIDDEN_IN_JSON

EXAMPLES_PER_OPERATION = 50
NEGATIVE_EXAMPLES = 15
DERANDOMIZE = True
TIME_BUDGET_SECONDS = 60


def unclean(value: Any) -> bool:
    """Whether generated data holds text that core.middleware.ValidTextMiddleware refuses."""
    if isinstance(value, str):
        return FORBIDDEN_IN_JSON.search(value) is not None
    if isinstance(value, dict):
        return any(unclean(key) or unclean(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(unclean(item) for item in value)
    return False


@pytest.mark.slow  # generated requests against every operation of the API
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error(petition: Any, settings: Any) -> None:
    require(importlib.util.find_spec("schemathesis") is not None, "schemathesis")
    import schemathesis
    from hypothesis import HealthCheck, given, strategies
    from hypothesis import settings as hypothesis_settings
    from schemathesis import GenerationMode
    from schemathesis.checks import positive_data_acceptance

    settings.API_ANON_PER_MINUTE = 10**9
    settings.API_TOKEN_PER_MINUTE = 10**9
    world = build_world(petition, sign=False)
    make_signature(petition, "fuzz-1", mission=world.embassy)
    make_signature(petition, "fuzz-2", country="KR", city="Seoul", region="KR-11")
    token = ApiToken.issue(world.users["organiser"], "fuzz", ApiToken.Scope.WRITE)[1]

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

    def real_values(path: str) -> dict[str, str]:
        return {
            "slug": petition.slug if "/petitions/" in path else world.campaign.slug,
            "uuid": str(world.event_b.uuid),
            "key": world.consulate.key if "/deliveries/" in path else world.embassy.key,
        }

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return strategies.just(path_parameters)
        real = real_values(context.operation.path)
        known = {name: real[name] for name in path_parameters if name in real}
        return strategies.sampled_from([path_parameters, {**path_parameters, **known}])

    def fuzzer(
        operation: Any, headers: dict[str, str], mode: Any, examples: int, excluded: list[Any]
    ) -> Any:
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.formatted_path, response.text[:500])
            if response.status_code == 400 and unclean([case.query, case.body]):
                return  # control characters: refused by core.middleware, as documented
            case.validate_response(response, headers=headers, excluded_checks=excluded)

        return fuzz

    started = time.monotonic()
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        team = bool(operation.definition.raw.get("security"))
        headers = {"Authorization": f"Bearer {token}"} if team else {}
        # Recording a delivery refuses well-formed values that break a rule of the
        # status given (422), which the schema cannot say: only no 5xx counts there.
        writes = operation.method.upper() != "GET"
        excluded = [positive_data_acceptance] if writes else []

        fuzzer(operation, headers, GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION, excluded)()
        # Invalid query strings and bodies must be refused with a 4xx. (A path parameter
        # that is any string cannot be made invalid: operations with only those are skipped.)
        parameters = operation.definition.raw.get("parameters", [])
        if writes or any(parameter["in"] == "query" for parameter in parameters):
            fuzzer(operation, headers, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, [])()
        fuzzed.append(operation.label)
    elapsed = time.monotonic() - started
    assert len(fuzzed) == 17, fuzzed
    assert elapsed < TIME_BUDGET_SECONDS * 2, f"fuzzing took {elapsed:.0f} s"
