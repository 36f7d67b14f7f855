"""Signals of grades, for the apps above it that send e-mails (reviews.notifications):
grades may not import them. Sent once the step's transaction has committed."""

from django.dispatch import Signal

# kwargs: org, appeal (GradeAppeal)
appeal_raised = Signal()
appeal_resolved = Signal()
# kwargs: org, calibration (Calibration), published
calibration_published = Signal()
