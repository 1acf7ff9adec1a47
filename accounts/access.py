"""The one access mechanism for views: `member_required(perm)` on every view, and
`get_scoped` for every object, which goes through `TenantQuerySet.restrict` — so another
organisation's object is a 404, a too-weak role a 403, and internal fields are withheld from
roles that may not read them, without a check repeated in each view."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .roles import PERMISSIONS

# The URLs anyone may reach. The system check `accounts.E001` refuses any other routed view
# that is not wrapped in `member_required`.
PUBLIC_URL_NAMES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "accounts:accept_invitation",
        "health_live",
        "health_ready",
    }
)
# URL namespaces that guard themselves: the Django admin admits staff only; every JSON API
# route declares its permission with `api.access.requires` (checked by `api.E001`).
EXEMPT_NAMESPACES = frozenset({"admin", "api"})


def member_required(perm: str):
    """Require a logged-in member of the current organisation whose role holds `perm`."""
    if perm not in PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return login_redirect(request)
            check_permission(request.membership, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm
        return wrapper

    return decorator


def login_redirect(request):
    """To log-in, and back afterwards to the page the person was on. An htmx request (say, a
    form posted after the session expired) is told to navigate the whole page, not to swap
    the log-in page into a fragment. A form posted while logged out is not saved, and the
    log-in page says so; it returns to the form's page, not to the address it posted to
    (which takes posts only)."""
    if request.method == "GET":
        return redirect_to_login(request.get_full_path())
    messages.warning(
        request, "You were logged out, so that was not saved: log in and send it again."
    )
    back = _referring_page(request)
    if getattr(request, "htmx", False):
        back = request.htmx.current_url_abs_path or back
        return HttpResponseClientRedirect(redirect_to_login(back).url)
    return redirect_to_login(back)


def _referring_page(request) -> str:
    """The path of the page a form was posted from, if it is one of ours; else the home page."""
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    ours = url_has_allowed_host_and_scheme(
        referer.geturl(), allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if ours and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def check_permission(membership, perm: str) -> None:
    """Raise PermissionDenied, with a reason a person can act on, unless `membership` holds
    `perm`. Shared by the page decorator and the API."""
    if membership is None:
        raise PermissionDenied("You are not a member of any organisation yet.")
    if not membership.can(perm):
        raise PermissionDenied(
            f"Your role in {membership.organisation} "
            f"({membership.get_role_display()}) does not allow this."
        )


def get_scoped(request, queryset, action: str = "view", **lookup):
    """The one object matching `lookup` that the current member may `action`, or 404.

    `queryset` is a model's manager or queryset (a `TenantQuerySet`), so scoping cannot be
    forgotten: an unscoped queryset fails loudly here rather than leaking.
    """
    if not hasattr(queryset, "restrict"):
        raise TypeError(f"{queryset.model.__name__} has no restrict(): it cannot be scoped")
    return get_object_or_404(queryset.restrict(request.membership, action), **lookup)
