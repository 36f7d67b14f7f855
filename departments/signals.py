"""The one signal departments sends upwards: metrics and reviews seed a new organization
(built-in indicator library and templates) without departments importing them."""

from django.dispatch import Signal

# Sent inside the creating transaction with `organization` and `by` (the creating user).
organization_created = Signal()
