"""Where deliveries may go: https only, public addresses only, loopback only for tests and DEBUG."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from safepassage.webhooks import transport

REFUSED = [
    "http://partner.example/hook",  # not https
    "ftp://partner.example/hook",
    "https://user:secret@partner.example/hook",
    "https://10.0.0.5/hook",  # private
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "https://100.64.0.1/hook",  # shared address space
    "https://[fd00::1]/hook",  # unique local
    "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
    "https://127.0.0.1/hook",  # loopback, outside tests and DEBUG
    "https://localhost/hook",
    "http://127.0.0.1:8000/hook",
    "https:///hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_these_addresses_are_refused_in_production(url, settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        transport.check_url(url)


def test_public_https_addresses_are_accepted(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    transport.check_url("https://crm.partner.example/hooks/safepassage?list=7")
    transport.check_url("https://93.184.215.14/hook")


def test_loopback_over_http_only_with_the_test_setting_or_debug(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    transport.check_url("http://127.0.0.1:8000/hook")
    transport.check_url("http://localhost:8000/hook")
    with pytest.raises(ValidationError):
        transport.check_url("http://10.0.0.5/hook")  # private stays refused
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.DEBUG = True
    transport.check_url("http://[::1]:8000/hook")


def test_a_name_that_resolves_to_loopback_is_refused_when_sending(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(transport.Refused):
        transport.resolve("localhost", 443)
    # post() never raises: the refusal is the attempt's error, and nothing is connected.
    result = transport.post("https://127.0.0.1:9/hook", b"{}", {})
    assert result.status_code is None and result.error.startswith("refused:")
    assert not result.ok


def test_an_endpoint_that_does_not_answer_is_an_error_not_an_exception(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    result = transport.post("http://127.0.0.1:9/hook", b"{}", {})
    assert result.status_code is None and "Error" in result.error


@pytest.mark.django_db
def test_rotating_the_keys_keeps_the_secret(settings, campaign):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from safepassage.webhooks import services

    endpoint, secret = services.create_endpoint(
        campaign, "https://crm.example/hook", ["rsvp.confirmed"]
    )
    old = endpoint.secret_encrypted
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    call_command("rotate_webhook_secrets")
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != old and services.secret_of(endpoint) == secret
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert services.secret_of(endpoint) == secret
