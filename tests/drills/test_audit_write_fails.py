"""Drill 4: the audit write fails (a trigger installed for the drill refuses every INSERT into
audit_accessevent). A read of person data is refused, never served unaudited: the answer is a
server error, and neither the person's pseudonym nor any other person data is in it."""

from __future__ import annotations

from persons.models import CaseFile
from tests.drills.stack import Browser, Stack, say

MEMBER = "social@kk.demo.tvaers.dk"  # a member of SSP Nørrebro
REFUSE_AUDIT = """
CREATE FUNCTION drill_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'drill: the audit write fails'; END $$;
CREATE TRIGGER drill_refuse_audit BEFORE INSERT ON audit_accessevent
    FOR EACH ROW EXECUTE FUNCTION drill_refuse_audit();
"""
ALLOW_AUDIT = """
DROP TRIGGER IF EXISTS drill_refuse_audit ON audit_accessevent;
DROP FUNCTION IF EXISTS drill_refuse_audit();
"""
INTERNALS = ("Traceback", "drill: the audit write fails", "psycopg", "INSERT INTO", "audit_")


def refused(browser: Browser, path: str, secrets: list[str]) -> int:
    response = browser.get(path)
    assert response.status_code >= 500, f"{path} answered {response.status_code} unaudited"
    for secret in secrets:
        assert secret not in response.text, f"{path} served {secret!r} without its audit row"
    for internal in INTERNALS:
        assert internal not in response.text, f"{path} shows {internal!r}"
    return response.status_code


def test_a_person_read_is_refused_when_its_audit_write_fails(stack: Stack) -> None:
    member = stack.browser(MEMBER)
    case_files = list(
        CaseFile.objects.filter(forum__name="SSP Nørrebro", closed_at__isnull=True)
        .select_related("person")
        .order_by("pk")
    )
    person = case_files[0].person
    pseudonyms = [case_file.person.pseudonym for case_file in case_files]
    page = f"/personer/{person.pk}/"
    before = member.get(page)
    assert before.status_code == 200 and person.pseudonym in before.text
    say(f"{page} shows {person.pseudonym} while the audit write works")

    stack.psql(REFUSE_AUDIT)
    say("trigger installed: every INSERT into audit_accessevent raises")
    try:
        statuses = {
            page: refused(member, page, [person.pseudonym]),
            "/personer/": refused(member, "/personer/", pseudonyms),
            f"/api/v1/persons/{person.pk}/": refused(
                member, f"/api/v1/persons/{person.pk}/", [person.pseudonym]
            ),
        }
    finally:
        stack.psql(ALLOW_AUDIT)
        say("trigger removed")
    say(
        "checked: "
        + ", ".join(f"{path} {status}" for path, status in statuses.items())
        + f"; none shows a pseudonym of the forum's {len(pseudonyms)} persons, a traceback or SQL"
    )

    after = member.get(page)
    assert after.status_code == 200 and person.pseudonym in after.text
    say(f"checked: {page} is served again once the audit write works")
