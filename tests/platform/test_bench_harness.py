"""`make bench` (bench/): the harness's pure parts, and its bench-only views and middleware,
which answer under config.settings_bench and are unreachable with production settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from django_otp.oath import TOTP

from audit.models import AccessEvent
from bench import login, report, wrk
from bench.wrk import Request
from config import settings_bench
from config.bench_middleware import QUERY_HEADER

ROOT = Path(__file__).resolve().parents[2]
BENCH_PATHS = ["/bench/triviel/", "/bench/uden-audit/personer/1/"]

WRK_OUTPUT: dict[str, Any] = {
    "requests": 3000,
    "duration_us": 15_000_000,
    "bytes": 123456,
    "errors": {"connect": 1, "read": 0, "write": 0, "status": 4, "timeout": 2},
    "latency_us": {
        "mean": 9000.5,
        "max": 90000,
        "p50": 8000,
        "p90": 15000,
        "p95": 20000,
        "p99": 41000,
    },
    "status": {"1xx": 0, "2xx": 2990, "3xx": 6, "4xx": 3, "5xx": 1},
}


# --- wrk's output and request lines ---------------------------------------------------------


def test_wrk_output_is_read_in_milliseconds_and_requests_per_second():
    result = wrk.parse(json.dumps(WRK_OUTPUT))
    assert result.rps == 200.0
    assert (result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms) == (8.0, 20.0, 41.0, 90.0)
    assert result.non_2xx == 10
    # Socket errors and 4xx/5xx answers fail; a redirect (a saved note) does not.
    assert result.errors == 3 + 3 + 1


def test_alternating_rounds_combine_into_one_result():
    first = wrk.parse(json.dumps(WRK_OUTPUT))
    second = wrk.parse(
        json.dumps(
            {
                **WRK_OUTPUT,
                "requests": 1000,
                "latency_us": {**WRK_OUTPUT["latency_us"], "p95": 40000, "max": 120000},
            }
        )
    )
    third = wrk.parse(
        json.dumps(
            {
                **WRK_OUTPUT,
                "requests": 2000,
                "latency_us": {**WRK_OUTPUT["latency_us"], "p95": 30000},
            }
        )
    )
    combined = wrk.combine([first, second, third])
    assert (combined.requests, combined.seconds, combined.rps) == (6000, 45.0, 133.3)
    assert combined.p95_ms == 30.0  # the median of the rounds' p95
    assert combined.max_ms == 120.0
    assert combined.status["2xx"] == 3 * 2990
    assert combined.socket_errors == 9
    assert wrk.combine([first]) is first


def test_a_post_line_carries_the_csrf_token_and_the_form():
    line = Request("POST", "/sager/7/notater/ny/", (("body", "Et notat & mere"),)).line(
        3, "sessionid=abc; csrftoken=def", "TOKEN"
    )
    thread, method, path, cookie, body = line.split("\t")
    assert (thread, method, path, cookie) == (
        "3",
        "POST",
        "/sager/7/notater/ny/",
        "sessionid=abc; csrftoken=def",
    )
    assert body == "csrfmiddlewaretoken=TOKEN&body=Et+notat+%26+mere"
    assert Request("GET", "/").line(0, "c=1", "TOKEN").split("\t")[4] == ""


def test_a_request_line_refuses_a_tab_that_would_shift_its_fields():
    with pytest.raises(ValueError, match="tab"):
        Request("GET", "/personer/\t").line(0, "c=1", "")


def test_the_lua_script_reads_the_fields_the_harness_writes():
    script = (ROOT / "bench" / "requests.lua").read_text()
    for name in ("BENCH_WRK_REQUESTS", "BENCH_WRK_THREADS", "BENCH_WRK_RATE", "BENCH_WRK_OUT"):
        assert name in script
    for key in WRK_OUTPUT["latency_us"]:
        assert f'"{key}"' in script


# --- ratios and verdicts --------------------------------------------------------------------


def page(rps: float, p95: float, queries: int = 10) -> dict[str, Any]:
    return {"rps": rps, "p95_ms": p95, "queries": queries, "label": "/x/", "user": "member"}


def scale(value: float, person_p95: float = 40.0) -> dict[str, Any]:
    return {
        "scale": value,
        "paths": {
            report.PERSON: page(100.0, person_p95),
            report.NO_AUDIT: page(110.0, 36.0),
            report.TRIVIAL: page(300.0, 10.0, 3),
        },
        "permission": {
            "users": [
                {"user_id": 1, "unfiltered_ms": 1.0, "ours_ms": 1.2, "guardian_ms": 5.0},
                {"user_id": 2, "unfiltered_ms": 1.0, "ours_ms": 1.4, "guardian_ms": 6.0},
                {"user_id": 3, "unfiltered_ms": 1.0, "ours_ms": 1.6, "guardian_ms": 7.0},
            ]
        },
        "backlog": {"max_age_s": 2.5, "max_pending": 40, "samples": 10},
        "sustained": {"p95_ms": 120.0, "errors": 0, "target_rate": 50, "rps": 45.0},
    }


def by_name(found: list[report.Check]) -> dict[str, report.Check]:
    return {check.name: check for check in found}


def test_ratios_are_computed_against_their_targets():
    found = by_name(report.checks([scale(0.1)]))
    overhead = found["permission overhead: first 50 persons, median"]
    assert (overhead.value, overhead.verdict) == (1.4, "PASS")
    worst = found["permission overhead: worst single user"]
    assert (worst.value, worst.verdict) == (1.6, "FAIL")  # every user must be within 1.5
    assert found["guardian's get_objects_for_user / ours (ours faster)"].value == 4.286
    assert found["audit overhead: no-audit rps / person page rps"].value == 1.1
    assert found["audit overhead: person page p95 / no-audit p95"].value == 1.111
    assert found["person page rps / trivial view rps"].value == 0.333
    assert found["person page rps / trivial view rps"].verdict == "FAIL"
    assert found["audit sequencer lag, max age (s)"].verdict == "PASS"
    assert found["sustained mixed load errors"].verdict == "PASS"
    served = found["sustained mixed load: rate served / rate asked"]
    assert (served.value, served.verdict) == (0.9, "FAIL")  # 45 of 50 requests/s
    assert found["p95 growth S=0.1 to S=1.0"].verdict == "not measured"  # one scale only


def test_growth_of_p95_compares_the_worst_path_of_the_smallest_and_largest_scale():
    found = by_name(report.checks([scale(0.1), scale(1.0, person_p95=70.0)]))
    growth = found["p95 growth S=0.1 to S=1.0, worst path"]
    assert (growth.value, growth.verdict, growth.detail) == (1.75, "FAIL", "worst: person")


def test_a_target_not_measured_is_neither_pass_nor_fail():
    partial = {"scale": 0.1, "paths": {report.PERSON: page(100.0, 40.0)}}
    found = by_name(report.checks([partial]))
    assert found["person page rps / trivial view rps"].verdict == "not measured"
    assert found["person page rps / trivial view rps"].passed is None
    assert found["person page queries"].verdict == "PASS"


def test_results_md_shows_the_paths_the_targets_and_how_to_reproduce():
    meta = {
        "date": "2026-12-01 09:00 UTC",
        "command": "make bench",
        "cores": 2,
        "database": {"jit": "off"},
    }
    measured = scale(0.1)
    rendered = report.render(meta, [measured], report.checks([measured]))
    assert "- Command: `make bench`" in rendered
    assert "jit=off" in rendered
    assert "| person page rps / trivial view rps | 0.333 | >= 0.5 | FAIL |" in rendered
    assert "| `/x/` | member | 100.0 | - | 40 | - | 10 | - | - |" in rendered
    assert "| ours (`visible_to`) | 1.4 | 1.2 | 1.6 |" in rendered
    assert "the oldest 2.5 s old" in rendered


# --- logging in ------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [0, 59, 1_764_579_600, 1_764_579_629.9, 2_000_000_000])
def test_totp_matches_django_otp(at):
    key_hex = "3132333435363738393031323334353637383930"  # RFC 6238's test key
    reference = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6)
    reference.time = at
    assert login.totp(key_hex, at) == f"{reference.token():06d}"


def test_totp_matches_rfc_6238():
    assert login.totp("3132333435363738393031323334353637383930", 59, digits=8) == "94287082"


def test_the_csrf_token_is_read_from_a_form():
    html = '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123"></form>'
    assert login.csrf_token(html) == "abc123"
    with pytest.raises(login.LoginFailed):
        login.csrf_token("<form></form>")


# --- bench-only views and middleware --------------------------------------------------------


@pytest.mark.parametrize("path", BENCH_PATHS)
def test_production_urls_have_no_bench_path(path):
    with pytest.raises(Resolver404):
        resolve(path)  # config.urls, the production URL conf
    assert resolve(path, urlconf="config.bench_urls") is not None


def test_production_settings_and_urls_never_name_the_bench_modules():
    for name in ("settings.py", "urls.py", "wsgi.py", "asgi.py", "celery.py", "api_urls.py"):
        source = (ROOT / "config" / name).read_text()
        for module in ("bench_urls", "bench_middleware", "settings_bench", "bench."):
            assert module not in source, (name, module)


@pytest.fixture
def bench_settings(settings):
    settings.ROOT_URLCONF = "config.bench_urls"
    settings.MIDDLEWARE = settings_bench.MIDDLEWARE
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("path", BENCH_PATHS)
def test_bench_paths_answer_404_under_production_settings(path, client, world):
    client.force_login(world.school_member)
    path = path.replace("/1/", f"/{world.person.pk}/")
    response = client.get(path)
    assert response.status_code == 404
    assert QUERY_HEADER not in response


@pytest.mark.django_db
def test_the_trivial_view_needs_a_login_and_counts_its_queries(client, world, bench_settings):
    assert client.get("/bench/triviel/").status_code == 302  # to the login page
    client.force_login(world.school_member)
    response = client.get("/bench/triviel/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert int(response[QUERY_HEADER]) >= 1  # the session and the user at least


@pytest.mark.django_db
def test_the_no_audit_person_page_writes_no_access_event(client, world, bench_settings):
    client.force_login(world.school_member)
    before = AccessEvent.objects.count()
    audited = client.get(f"/personer/{world.person.pk}/")
    assert audited.status_code == 200
    assert AccessEvent.objects.count() > before
    before = AccessEvent.objects.count()
    unaudited = client.get(f"/bench/uden-audit/personer/{world.person.pk}/")
    assert unaudited.status_code == 200
    assert AccessEvent.objects.count() == before
    # The same page otherwise; the audit write is what it saves.
    assert int(unaudited[QUERY_HEADER]) < int(audited[QUERY_HEADER])


@pytest.mark.django_db
def test_the_no_audit_person_page_keeps_the_permission_check(client, world, bench_settings):
    client.force_login(world.outsider)
    response = client.get(f"/bench/uden-audit/personer/{world.person.pk}/")
    assert response.status_code == 404
