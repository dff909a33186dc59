"""Schemathesis over the OpenAPI schema, in pytest through the WSGI app: as
an ICB editor with a token and a draft return in place, every operation is
fuzzed; none may answer with a server error, and every answer must conform to
the schema (status, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from assurance.services.returns import quarterly_return_start
from organisations.models import Role
from organisations.tokens import api_token_create
from tests.factories import member

pytestmark = [pytest.mark.heavy]


# Built in-process (no request, no database): the same schema /api/v1/schema/ serves.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = get_wsgi_application()
schema.app = APP  # every call, probes included, goes through the WSGI app


@pytest.fixture(autouse=True)
def _test_connection_kept():
    """The real WSGI app closes the database connection around each request
    (`close_old_connections`), which would close the test's own transaction:
    as Django's test client does, keep it open while the test runs."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_token(db, reference, toolkit, q3):
    editor = member(reference["Z9B2Z"], Role.ICB_EDITOR)
    quarterly_return_start(actor=editor, icb=reference["Z9B2Z"], period=q3)
    _, secret = api_token_create(actor=editor, user=editor, name="fuzz", days=1)
    return secret


@schema.parametrize()
@settings(
    max_examples=8,  # the coverage phase already tries every documented status
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_every_answer_conforms(case, editor_token):
    case.call_and_validate(
        app=APP,
        headers={"Authorization": f"Bearer {editor_token}"},
        # Every check but one: like every Django form, a filter left empty
        # (`?existing_on=`) means "no filter", not an error.
        excluded_checks=[negative_data_rejection],
    )
