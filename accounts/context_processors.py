from .roles import PERMISSIONS


def organisation(request):
    """The current organisation and membership, and what its role may do (`can.gate_decide`),
    for navigation. Views still check permissions themselves; this only hides dead links."""
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "current_organisation": getattr(request, "organisation", None),
        "user_memberships": getattr(request, "memberships", []),
        "can": {
            perm.replace(".", "_"): bool(membership and membership.can(perm))
            for perm in PERMISSIONS
        },
    }
