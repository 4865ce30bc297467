"""Project-wide behaviour: system checks, the demo, the organiser account."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from conftest import ROOT, run_tasks, sign_data
from safepassage.campaigns.models import Campaign, Petition
from safepassage.core.demo import load_demo
from safepassage.core.demo_texts import PETITION

pytestmark = pytest.mark.django_db


def test_the_system_checks_pass():
    call_command("check", fail_level="WARNING")


def run_deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    production = {
        **os.environ,
        "SAFEPASSAGE_DEBUG": "0",
        "SITE_URL": "https://petition.example.org",
        "ALLOWED_HOSTS": "petition.example.org",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghij",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DEFAULT_FROM_EMAIL": "Petition <petition@example.org>",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_check():
    result = run_deploy_check(SAFEPASSAGE_DEMO="0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_check_refuses_demo_mode():
    result = run_deploy_check(SAFEPASSAGE_DEMO="1")
    assert result.returncode != 0
    assert "safepassage.E001" in result.stdout + result.stderr


def test_the_deployment_check_wants_a_real_sender():
    result = run_deploy_check(DEFAULT_FROM_EMAIL="safepassage <noreply@localhost>")
    assert "safepassage.W003" in result.stdout + result.stderr


def test_the_deployment_check_wants_a_domain_for_passkeys():
    # Browsers refuse passkeys for an IP address (test_second_factor_browser.py uses localhost).
    result = run_deploy_check(OTP_WEBAUTHN_RP_ID="192.0.2.7")
    assert "safepassage.W060" in result.stdout + result.stderr
    assert result.returncode != 0


def test_the_demo_loads_once_and_can_be_loaded_again():
    first = load_demo(2026)
    second = load_demo(2026)
    assert first.pk == second.pk
    assert Campaign.objects.count() == 1
    assert Petition.objects.get().texts.count() == len(PETITION)  # one text per language
    assert first.campaign.target_government == "CN"
    assert first.campaign.day_of_action.isoformat() == "2026-09-24"


def test_the_organiser_account_is_created_once_with_a_random_password(tmp_path: Path):
    out = io.StringIO()
    credentials = tmp_path / "credentials.txt"
    call_command("ensure_organiser", credentials_file=str(credentials), stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    assert len(password) >= 12
    assert oct(credentials.stat().st_mode)[-3:] == "600"
    user = User.objects.get(username="organiser")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(password)
    assert user.has_perm("signatures.view_signature")

    again = io.StringIO()
    call_command("ensure_organiser", credentials_file=str(credentials), stdout=again)
    assert "password: " not in again.getvalue()
    assert User.objects.count() == 1


def test_other_passwords_are_generated_on_other_machines(tmp_path: Path):
    outputs = []
    for n in range(2):
        out = io.StringIO()
        call_command(
            "ensure_organiser",
            username=f"o{n}",
            credentials_file=str(tmp_path / f"c{n}"),
            stdout=out,
        )
        outputs.append(out.getvalue().split("password: ")[1].split()[0])
    assert outputs[0] != outputs[1]


@pytest.mark.django_db(transaction=True)
def test_staff_can_read_demo_mail_only_in_demo_mode(settings, tmp_path, petition):
    settings.DEMO_MODE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    Client().post(petition.get_absolute_url(), sign_data(email="demo-reader@example.org"))
    run_tasks()

    assert Client().get("/demo/mail/").status_code == 302  # to the login page
    call_command("ensure_organiser", credentials_file=str(tmp_path / "c"), stdout=io.StringIO())
    staff = Client()
    staff.force_login(User.objects.get(username="organiser"))
    page = staff.get("/demo/mail/").content.decode()
    assert "Please confirm your signature" in page
    assert "/confirm/" in page

    settings.DEMO_MODE = False
    assert staff.get("/demo/mail/").status_code == 404


def test_the_home_page_lists_open_petitions(client, petition):
    html = client.get("/").content.decode()
    assert petition.get_absolute_url() in html


def test_healthz_answers(client):
    assert client.get("/healthz").content == b"ok"
