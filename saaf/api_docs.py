"""The API's documentation pages: Swagger UI (where "Authorize" takes a token
and "Try it out" runs calls as the signed-in user) and ReDoc, both served from
drf-spectacular-sidecar's copies in our static files, never a CDN.

Both sit behind sign-in (an anonymous visitor is sent to the sign-in page) and
work under the portal's Content-Security-Policy: Swagger UI's start-up script
is a separate same-origin file (`SpectacularSwaggerSplitView`), and our own
templates put the request's nonce on their one inline style."""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.renderers import TemplateHTMLRenderer


class _SignInFirst:
    """A browser page: without a session, go and sign in, then come back."""

    renderer_classes = [TemplateHTMLRenderer]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


class ApiDocs(_SignInFirst, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "SAAF portal API"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if request.GET.get("script") is not None:
            # The start-up script as JavaScript, rendered by its template.
            self.renderer_classes = [_JavaScriptRenderer]
        return super().get(request, *args, **kwargs)


class _JavaScriptRenderer(TemplateHTMLRenderer):
    media_type = "application/javascript"
    format = "js"


# ReDoc styles itself with inline <style> elements it makes at run time
# (styled-components), which no nonce can reach: on this one page, styles
# (never scripts) may be inline. Its script, like Swagger UI's, is our own file.
redoc_csp = csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})


class ApiRedoc(_SignInFirst, SpectacularRedocView):
    template_name = "api/redoc.html"
    title = "SAAF portal API"
