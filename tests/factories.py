"""Test data factories. Passwords are set through the manager so logins work."""

from __future__ import annotations

from typing import Any, cast

import factory
from django.contrib.auth.models import Group

from accounts.models import Agency, Municipality, User

TEST_PASSWORD = "correct-horse-battery-staple"


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{(n % 900) + 100:03d}")
    name = factory.Sequence(lambda n: f"Testkommune {n}")


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Myndighed {n}")
    kind = Agency.Kind.SKOLE
    municipality = factory.SubFactory(MunicipalityFactory)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"bruger{n}@test.tvaers.dk")
    full_name = factory.Sequence(lambda n: f"Bruger Nummer{n}")
    agency = factory.SubFactory(AgencyFactory)

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        password = kwargs.pop("password", TEST_PASSWORD)
        return model_class.objects.create_user(password=password, **kwargs)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            cast(User, self).groups.set(Group.objects.filter(name__in=extracted))
