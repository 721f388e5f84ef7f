"""Signals the accounts app sends for the audit app to record (accounts imports no audit code).

``account_event``: one change to an account that is no row change of the User itself, e.g. a
second factor enrolled or reset, a lockout, an API token. Send it inside the transaction of
the change, with keyword arguments ``actor`` (User or None for the system), ``target`` (User),
``action`` (the value of an ``audit.AccountEvent.Action``) and ``details`` (ids and flags
only, never a secret); audit.receivers writes it to the AccountEvent chain.
"""

from django.dispatch import Signal

account_event = Signal()
