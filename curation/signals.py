"""Signals curation sends. Publishing listens; curation never imports publishing."""

from django.dispatch import Signal

# Sent after the transaction that appended events has committed. Argument: position (int),
# the newest event position now durable.
events_appended = Signal()
