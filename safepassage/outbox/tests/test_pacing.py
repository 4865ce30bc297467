"""During a surge of signatures the mail sender gives way; afterwards it sends at full speed."""

from __future__ import annotations

import pytest
from django.core import mail

from conftest import sign_data
from safepassage.outbox import sender
from safepassage.outbox.models import Message
from safepassage.outbox.pacing import SAMPLE_SECONDS, Pace

pytestmark = pytest.mark.django_db(transaction=True)


class Fake:
    """Clock and CPU clock moved by hand; the pauses asked for are kept."""

    def __init__(self) -> None:
        self.now = 100.0
        self.cpu = 5.0
        self.pauses: list[float] = []

    def pace(self, rate: int) -> Pace:
        return Pace(rate, clock=lambda: self.now, cpu=lambda: self.cpu, sleep=self.pauses.append)


def queue(count: int) -> None:
    Message.objects.bulk_create(
        Message(kind=Message.Kind.SIGNATURE_CONFIRM, recipient_encrypted="x") for _ in range(count)
    )


def send_one(fake: Fake, pace: Pace, cpu_seconds: float = 0.001) -> None:
    mark = fake.cpu
    fake.cpu += cpu_seconds
    pace.after_message(mark)


def test_mail_queued_faster_than_the_limit_makes_the_sender_pause():
    fake = Fake()
    pace = fake.pace(rate=100)
    send_one(fake, pace)  # first sample: no rate known yet
    assert fake.pauses == []
    queue(60)
    fake.now += SAMPLE_SECONDS  # 60 messages in half a second: 120 a second
    send_one(fake, pace, cpu_seconds=0.002)
    assert fake.pauses == [pytest.approx(0.018)]  # nine times the CPU: a tenth of a core
    send_one(fake, pace, cpu_seconds=0.001)  # within the sample: still a surge
    assert fake.pauses[1:] == [pytest.approx(0.009)]


def test_below_the_limit_the_sender_never_pauses():
    fake = Fake()
    pace = fake.pace(rate=100)
    send_one(fake, pace)
    queue(40)
    fake.now += SAMPLE_SECONDS  # 80 a second
    send_one(fake, pace)
    assert fake.pauses == [] and not pace.surging()


def test_once_the_surge_is_over_the_sender_goes_full_speed():
    fake = Fake()
    pace = fake.pace(rate=100)
    send_one(fake, pace)
    queue(100)
    fake.now += SAMPLE_SECONDS
    send_one(fake, pace)
    assert len(fake.pauses) == 1
    fake.now += SAMPLE_SECONDS  # nothing queued meanwhile
    send_one(fake, pace)
    send_one(fake, pace)
    assert len(fake.pauses) == 1


def test_a_limit_of_zero_switches_pacing_off(django_assert_num_queries):
    fake = Fake()
    pace = fake.pace(rate=0)
    queue(1000)
    with django_assert_num_queries(0):  # not even measured
        for _ in range(3):
            fake.now += SAMPLE_SECONDS
            send_one(fake, pace)
    assert fake.pauses == []


def test_the_sender_pauses_after_each_message_of_a_surge(client, petition, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fake = Fake()
    pace = Pace(rate=1, clock=lambda: fake.now, sleep=fake.pauses.append)  # real CPU time
    pace.surging()  # the sample before the surge
    monkeypatch.setattr(sender, "pace", pace)
    for number in range(3):
        client.post(petition.get_absolute_url(), sign_data(email=f"surge{number}@example.org"))
    fake.now += 1.0  # three messages in a second: a surge at a limit of one a second
    assert sender.send_due() == 3
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}
    assert len(fake.pauses) == 3 and all(pause >= 0 for pause in fake.pauses)
    assert len(mail.outbox) == 3
