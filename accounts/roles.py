"""The roles of Tværs, kept as Django groups.

A role says what kind of thing a user may do at all; which forum or person they may do it to
is decided per object in ``core.permissions``. Model permissions are attached to the groups by
the apps that own the models.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Koordinator")
    MEMBER = "member", _("Medlem")
    DPO = "dpo", _("Databeskyttelsesrådgiver")
    ADMIN = "admin", _("Systemadministrator")
    # Kredsråd and lokalråd members: the councils' pages and anonymous statistics only.
    COUNCIL = "council", _("Rådsmedlem")
