"""django-auditlog registration: every domain model, in one place.

Encrypted fields are excluded, not masked: auditlog would otherwise store their value (and its
default mask keeps half a string). Identifying derived values (the CPR blind index) and key
references are excluded too, so no change log row carries plaintext or ciphertext. Models are
named by label: audit imports no domain app.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

# label -> (fields excluded from the change log, many-to-many fields to log)
AUDITED: dict[str, tuple[list[str], list[str]]] = {
    "accounts.Municipality": ([], []),
    "accounts.PoliceDistrict": ([], []),
    "accounts.Region": ([], []),
    "accounts.Agency": ([], []),
    "accounts.User": (["password", "last_login"], ["groups"]),
    "forums.Forum": ([], ["agencies"]),
    "forums.Membership": ([], []),
    "persons.FocusPerson": (["data_key"], []),
    "persons.Identity": (["name", "cpr", "birth_date", "address", "cpr_index"], []),
    "persons.CaseFile": (
        [
            "data_key",
            "known_name",
            "known_cpr",
            "known_birth_date",
            "known_address",
            "retention_extension_reason",
            "closed_reason",
            "named_reason",
            "consent_refused_reason",
            "age_override_reason",
        ],
        [],
    ),
    "persons.Concern": (["description", "source_reason", "decision_reason"], []),
    "persons.CaseFileTransfer": (["reason"], []),
    "persons.ConsentRecord": (["note"], []),
    "persons.PersonGrant": (["reason"], []),
    "persons.IdentityReveal": (["reason"], []),
    "coordination.Note": (["body", "necessity"], []),
    "coordination.ForumSession": ([], []),
    "coordination.AgendaItem": (["minutes", "necessity"], ["attendees"]),
    "coordination.MinutesRevision": (["minutes", "reason"], []),
    "coordination.AgendaGuest": ([], []),
    "coordination.Plan": (["goals"], []),
    "coordination.PlanAction": (["description"], []),
    "coordination.ReportRestriction": (["reason"], []),
    "coordination.NoteRevision": (["body", "reason"], []),
    # Councils: no personal data; the released statistics (Figure) are derived and frozen.
    "councils.Council": ([], []),
    "councils.CouncilMembership": ([], []),
    "councils.CooperationPlan": ([], []),
    "councils.FocusArea": ([], ["agencies", "forums"]),
    "councils.FocusAreaStatus": ([], []),
    "councils.CouncilMeeting": ([], ["focus_areas"]),
    "persons.IdentityCorrection": (
        ["old_name", "old_cpr", "old_birth_date", "old_address", "reason"],
        [],
    ),
}


def register_all() -> None:
    for label, (exclude, m2m) in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=exclude, m2m_fields=set(m2m))
