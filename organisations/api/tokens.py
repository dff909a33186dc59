"""The caller's own API tokens (never the tokens themselves: only a hash is
kept). They are created and revoked on the account page, or by
`manage.py api_token`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from organisations.models import ApiToken
from organisations.tokens import api_tokens_of
from saaf.api import problems


class ApiTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    starts_with = serializers.CharField(source="token_key", help_text="Its first characters.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()


class TokenList(GenericAPIView):
    """Your API tokens that have not expired, newest first."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return api_tokens_of(self.request.user).order_by("-created", "digest")

    @extend_schema(responses={200: ApiTokenSerializer(many=True), **problems(400, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ApiTokenSerializer(page, many=True).data)
