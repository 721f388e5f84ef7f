import pytest

from persons.models import Identity


@pytest.mark.django_db
def test_world_builds_and_identity_round_trips(world, client):
    identity = Identity.objects.get(person=world.person)
    assert identity.name == "Rasmus Testbarn"
    client.force_login(world.school_member)
    response = client.get(f"/personer/{world.person.pk}/")
    assert response.status_code == 200
    response = client.get(f"/api/v1/persons/{world.person.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["pseudonym"] == world.person.pseudonym
    client.force_login(world.outsider)
    assert client.get(f"/api/v1/persons/{world.person.pk}/").status_code == 404
