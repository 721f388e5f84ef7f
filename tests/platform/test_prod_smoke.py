"""`make prod-smoke` runs what docker-compose.yml and the Dockerfile describe (issue 14).

scripts/prod_smoke.py reads its commands and environment from those two files; these tests
hold that it changes nothing but addresses and paths, hands every variable compose sets to the
same process (secrets as *_FILE), and that the image and compose agree with each other. The
smoke run itself is `make prod-smoke`, in .ci/run."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load_smoke() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "scripts" / "prod_smoke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


smoke = _load_smoke()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture
def local(tmp_path: Path) -> Any:
    return smoke.Local(
        postgres="127.0.0.1:5999",
        redis="127.0.0.1:6999",
        web_host="192.0.2.2",
        web_port=8999,
        directory=tmp_path,
    )


@pytest.fixture
def dotenv(tmp_path: Path) -> dict[str, str]:
    values: dict[str, str] = smoke.operator_dotenv(tmp_path)
    return values


def test_every_service_built_from_the_image_is_run(compose):
    from_image = {name for name, service in compose["services"].items() if "build" in service}
    assert from_image == set(smoke.APP_SERVICES)


def test_commands_change_only_in_addresses_and_paths(compose, local, dotenv):
    planned = smoke.plan(local, dotenv)
    container = ("postgres:5432", "redis:6379", "0.0.0.0:8000", "/var/lib/tvaers", "/app/")
    for name in smoke.APP_SERVICES:
        given = compose["services"][name]["command"]
        argv = planned[name][0]
        assert len(argv) == len(given), name
        for ours, theirs in zip(argv, given, strict=True):
            if not any(part in theirs for part in container):
                assert ours == theirs, (name, ours, theirs)
            else:
                assert ours == local.apply(theirs), (name, ours, theirs)


def test_the_image_and_compose_run_the_same_web_server(compose):
    _, _, cmd = smoke.dockerfile()
    assert compose["services"]["web"]["command"] == cmd


def test_collectstatic_runs_as_the_image_build_does(local, dotenv):
    image_env, collect, _ = smoke.dockerfile()
    argv, env = smoke.plan(local, dotenv)["collectstatic"]
    assert argv == [part for part in collect if not re.match(r"^[A-Z_]+=", part)]
    assert argv[-4:] == ["collectstatic", "--no-input", "-v", "0"]
    assert env["STATICFILES_MANIFEST"] == "1"
    # The image's runtime STATIC_ROOT is where the build collected to.
    assert env["STATIC_ROOT"] == local.apply(image_env["STATIC_ROOT"])


def test_every_variable_reaches_its_process_and_secrets_come_as_files(compose, local, dotenv):
    planned = smoke.plan(local, dotenv)
    for name in smoke.APP_SERVICES:
        env = planned[name][1]
        for variable, value in compose["services"][name]["environment"].items():
            expected = local.apply(smoke.interpolate(str(value), dotenv))
            if variable in smoke.SECRETS:
                assert variable not in env, (name, variable)
                given = Path(env[f"{variable}_FILE"]).read_text()
                assert given == expected + "\n", (name, variable)  # as `echo` writes it
            else:
                assert env[variable] == expected, (name, variable)
        # Nothing of the harness's own environment leaks in (with_services sets DEBUG=1).
        assert env["DEBUG"] == "0"


def test_only_beat_is_given_the_signing_key(local, dotenv):
    planned = smoke.plan(local, dotenv)
    holding = {name for name, (_, env) in planned.items() if "AUDIT_SIGNING_KEY_FILE" in env}
    assert holding == {"beat"}


def test_interpolation_follows_compose():
    given = {"SET": "value", "EMPTY": ""}
    assert smoke.interpolate("a ${SET} b", given) == "a value b"
    assert smoke.interpolate("${EMPTY:-fallback}", given) == "fallback"
    assert smoke.interpolate("${SET:-fallback}", given) == "value"
    with pytest.raises(smoke.SmokeFailure, match="EMPTY is empty"):
        smoke.interpolate("${EMPTY:?set it}", given)


def test_the_operator_dotenv_holds_the_generated_keys(dotenv):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_PUBLIC_KEY"):
        assert dotenv[name], name
    assert dotenv["ALLOWED_HOSTS"] == smoke.HOST


def test_make_and_ci_run_the_smoke():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\nprod-smoke:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/with_services.py" in target and "scripts/prod_smoke.py" in target
    assert "make prod-smoke" in (ROOT / ".ci" / "run").read_text()
