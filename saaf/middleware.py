"""Response headers and the request log line, for every page of the portal.

- `Permissions-Policy`: the portal uses no camera, microphone, location,
  payment or other powerful browser feature, so none is allowed to any frame.
- `Cache-Control: no-store` on every response to a signed-in user (pages and
  exports hold safeguarding data that must not stay in a shared browser's or
  proxy's cache), and on any other dynamic response that set no caching of
  its own. Static files are served (and cached) by WhiteNoise before this.
- One log line per request: method, URL pattern (not the path, which may hold
  a password-reset key), status, time taken and the user's id.
"""

from __future__ import annotations

import logging
import time

from django.utils.cache import add_never_cache_headers

request_log = logging.getLogger("saaf.request")

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _signed_in(request) or "Cache-Control" not in response.headers:
            # Replaces any caching a view asked for: nothing signed-in is cached.
            response.headers.pop("Cache-Control", None)
            add_never_cache_headers(response)  # max-age=0, no-cache, no-store, ..., private
        return response


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        match = getattr(request, "resolver_match", None)
        where = f"/{match.route}" if match is not None and match.route else request.path[:200]
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        request_log.info(
            "%s %s %s %.0fms user=%s",
            request.method,
            where,
            response.status_code,
            elapsed_ms,
            user_id,
            extra={
                "method": request.method,
                "route": where,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 1),
                "user_id": user_id,
            },
        )
        return response
