"""Operating commands: key rotation, erasure export and replay."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.management import call_command

from conftest import sign_data
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.signatures import services
from safepassage.signatures.models import Erasure, Signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


def test_rotating_keys_reencrypts_addresses_under_the_new_key(client, petition, settings):
    client.post(petition.get_absolute_url(), sign_data(email="keep@example.org", contact="contact"))
    old_key = settings.ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "re-encrypted 1 signatures and 1 queued messages" in out.getvalue()

    settings.ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    assert crypto.decrypt(Signature.objects.get().email_encrypted) == "keep@example.org"
    assert crypto.decrypt(Message.objects.get().recipient_encrypted) == "keep@example.org"


def test_erasures_survive_a_restore_through_export_and_replay(client, petition, tmp_path):
    client.post(petition.get_absolute_url(), sign_data(email="gone@example.org"))
    signature = Signature.objects.get()
    services.erase(signature, reason="withdrawn")
    exported = io.StringIO()
    call_command("export_erasures", stdout=exported)
    assert "gone@example.org" not in exported.getvalue()
    dump = tmp_path / "erasures.jsonl"
    dump.write_text(exported.getvalue())

    # Simulate restoring a backup from before the withdrawal.
    Erasure.objects.all().delete()
    signature.pk = None
    signature.save()
    out = io.StringIO()
    call_command("replay_erasures", str(dump), stdout=out)
    assert "1 signatures removed" in out.getvalue()
    assert not Signature.objects.exists()
    assert Erasure.objects.count() == 1
    call_command("replay_erasures", str(dump), stdout=io.StringIO())
    assert Erasure.objects.count() == 1
