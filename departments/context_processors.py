from . import permissions, switcher


def tenancy(request):
    """The current organization, the member's role predicates and the organization switcher
    (evaluated lazily, and cached per user: departments.switcher)."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)

    def organizations():
        if user is None or not user.is_authenticated:
            return []
        return switcher.memberships(user)

    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "can": {
            "configure": bool(membership and permissions.can_configure(membership)),
            "manage_members": bool(membership and permissions.can_manage_members(membership)),
            "view_all": bool(membership and permissions.can_view_all(membership)),
            "decide_reviews": bool(membership and permissions.can_decide_reviews(membership)),
            "enter": bool(
                membership
                and (permissions.can_configure(membership) or permissions.is_manager(membership))
            ),
        },
        "my_orgs": organizations,
    }
