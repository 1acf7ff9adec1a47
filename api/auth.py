"""Who is calling: a personal API token (`Authorization: Bearer hov_…`) or the browser session.

Either way the caller ends up as `request.user` and `request.membership` (the member acting, in
one organisation), exactly what pages see, so routes use `accounts.access` unchanged. A token
acts only in its own organisation, whatever the session says; a session write needs the CSRF
token (a token is no ambient credential, so it needs none).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from .models import TOKEN_PATTERN, ApiToken, hash_token


class TokenAuth(HttpBearer):
    """A personal API token. A request that sends one is judged by it alone: a bad token is a
    401 with the reason, never a fall-back to the session."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if header is None:
            return None  # not a token request: the session may authenticate it
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                message="Malformed Authorization header: send 'Authorization: Bearer <token>'."
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        if not TOKEN_PATTERN.fullmatch(token):
            raise AuthenticationError(message="Malformed API token.")
        found = (
            ApiToken.objects.select_related("membership__user", "membership__organisation")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if found is None:
            raise AuthenticationError(message="Unknown API token.")
        if found.is_revoked:
            raise AuthenticationError(
                message=f"This API token was revoked on {found.revoked_at:%Y-%m-%d}."
            )
        if not found.membership.user.is_active:
            raise AuthenticationError(message="The account this API token belongs to is disabled.")
        found.touch()
        # Act as the token's member, in the token's organisation only.
        request.user = found.membership.user
        request.membership = found.membership
        request.organisation = found.membership.organisation
        request.memberships = [found.membership]
        request.api_token = found
        return found


class SessionAuth(APIKeyCookie):
    """The logged-in browser session (the interactive docs use it). Writes need the CSRF token
    in the X-CSRFToken header, as for any form."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest):
        # Anonymous: no session to protect, so a 401 (not a CSRF 403) says what is missing.
        if not request.user.is_authenticated:
            return None
        if check_csrf(request):
            raise HttpError(
                403,
                "CSRF check failed: send the csrftoken value in the X-CSRFToken header, "
                "or authenticate with an API token.",
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):
        # request.membership was resolved by OrganisationMiddleware (the session's choice).
        return request.user if request.user.is_authenticated else None
