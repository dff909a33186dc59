"""How the API knows who is calling: a machine token (django-rest-knox,
stored hashed, sent as `Authorization: Bearer saaf_…`) or the browser's
session, with Django's CSRF check on every unsafe method."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from organisations.tokens import api_token_refusal


class ApiTokenAuthentication(TokenAuthentication):
    """A knox token that acts as its user, refused as soon as the user may no
    longer hold one (deactivated, no role left, or two-factor authentication
    required by their role and not enabled)."""

    def validate_user(self, auth_token):
        user = auth_token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        refusal = api_token_refusal(user)
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        return (user, auth_token)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: Swagger's "Authorize" takes it as a bearer token."""

    target_class = "organisations.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from your account page (Account → API tokens), "
            "or from `manage.py api_token create`. It acts as you, with your roles.",
        }
