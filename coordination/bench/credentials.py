"""What the load harness needs to act as bench users over HTTP: per kind of user the email,
TOTP key, forums, persons they see, a session and a case file of theirs; for the DPO a person
and a user of their municipality; and the bench users' shared password. Written as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coordination.bench.people import BenchUser, People, totp_key
from coordination.bench.persons import CaseFilePlan

HARNESS_MEMBERS = 30  # the figures are medians over 30 users


class _Index:
    def __init__(self, case_files: list[CaseFilePlan], sessions: dict[int, list[int]]) -> None:
        self.sessions = sessions
        self.open_by_forum: dict[int, list[CaseFilePlan]] = {}
        for cf in case_files:
            if not cf.closed:
                self.open_by_forum.setdefault(cf.forum.forum.pk, []).append(cf)

    def entry(self, user: BenchUser) -> dict[str, Any]:
        forum_ids = [plan.forum.pk for plan in user.forums]
        files = [cf for forum_id in forum_ids for cf in self.open_by_forum.get(forum_id, [])]
        return {
            "user_id": user.pk,
            "email": user.email,
            "totp_key": totp_key(user.email),
            "forum_ids": forum_ids,
            "person_ids": [cf.person_id for cf in files[:5]],
            "pseudonyms": [cf.pseudonym for cf in files[:5]],
            # the upcoming session (its agenda) and the last one held (approved minutes)
            "session_id": self.sessions[forum_ids[0]][-1] if forum_ids else None,
            "approved_session_id": self.sessions[forum_ids[0]][-2] if forum_ids else None,
            "case_file_id": files[0].pk if files else None,
            "visible_persons": len({cf.person_id for cf in files}),
        }


def _dpo(
    people: People, witness: dict[int, tuple[int, str, int]], member: BenchUser
) -> dict[str, Any]:
    """The DPO of the member's agency's municipality, with a person and a user that records of
    that municipality's agencies concern (the DPO's scope)."""
    place = member.agency.municipality_id if member.agency else 0
    if place not in witness:
        place = next(iter(witness))
    person_id, pseudonym, actor_id = witness[place]
    dpo = people.dpos[place]
    return {
        "user_id": dpo.pk,
        "email": dpo.email,
        "totp_key": totp_key(dpo.email),
        "municipality_id": place,
        "pseudonym": pseudonym,
        "person_id": person_id,
        "municipality_user_id": actor_id,
    }


def credentials(
    people: People,
    case_files: list[CaseFilePlan],
    sessions: dict[int, list[int]],
    witness: dict[int, tuple[int, str, int]],
    scale: float,
    password: str,
) -> dict[str, Any]:
    index = _Index(case_files, sessions)
    members = [u for u in people.members if u.role == "member" and not _police(u)]
    local = [u for u in members if _agency_place(u) == u.forums[0].forum.municipality_id]
    member = (local or members)[0]
    police = next(u for u in people.members if _police(u))
    coordinator = next(u for u in people.members if u.role == "coordinator")
    step = max(1, len(members) // HARNESS_MEMBERS)
    return {
        "scale": scale,
        "password": password,  # every bench user's (published: DEBUG only)
        "member": index.entry(member),
        "police_member": index.entry(police),
        "coordinator": index.entry(coordinator),
        "dpo": _dpo(people, witness, member),
        "nobody": index.entry(people.nobody),
        "members": [index.entry(u) for u in members[::step][:HARNESS_MEMBERS]],
    }


def _police(user: BenchUser) -> bool:
    return user.agency is not None and user.agency.kind == "politi"


def _agency_place(user: BenchUser) -> int | None:
    return user.agency.municipality_id if user.agency else None


def write_credentials(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
