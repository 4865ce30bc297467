"""Moderation services: withholding names, invalidating floods, exact reversal, recounting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult

from conftest import sign_data
from safepassage.campaigns.models import Petition
from safepassage.lib.clients import ip_hash
from safepassage.lib.emails import canonicalize
from safepassage.reports.stats import refresh_stats
from safepassage.signatures import counter, moderation, services
from safepassage.signatures.models import ModerationAction, ModerationEntry, Signature

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 9, 20, 12, 0, tzinfo=dt.UTC)


def sign(
    petition: Petition,
    email: str,
    *,
    ip: str = "192.0.2.10",
    name: tuple[str, str] = ("Ana", "Example"),
    at: dt.datetime | None = None,
    confirmed: bool = True,
) -> Signature:
    """Sign through the real signing path (build_pending + commit_batch), then confirm."""
    data = sign_data(email=email, first_name=name[0], last_name=name[1])
    pending = services.build_pending(petition, data, canonicalize(email), ip, "en")
    if at is not None:
        pending.fields["created_at"] = at
    assert services.commit_batch([pending]) == [True]
    signature = Signature.objects.get(petition=petition, email_hash=pending.fields["email_hash"])
    if confirmed:
        assert services.confirm(signature)
    signature.refresh_from_db()
    return signature


@pytest.fixture
def flood(petition: Petition, settings: Any) -> dict[str, Signature]:
    """Two signers on mailinator.com (one already held for another reason), one elsewhere."""
    settings.THROTTLE_PER_IP = 10_000
    settings.THROTTLE_PER_PETITION = 10_000
    cache.clear()
    rows = {
        "bot1": sign(petition, "bot.one@mailinator.com", ip="198.51.100.7", at=T0),
        "bot2": sign(
            petition, "Bot.Two+x@MAILINATOR.com", ip="203.0.113.9", at=T0 + dt.timedelta(hours=1)
        ),
        "real": sign(petition, "real.person@example.org", ip="198.51.100.7", at=T0),
    }
    Signature.objects.filter(pk=rows["bot2"].pk).update(review_reason="look-alike e-mail domain")
    for row in rows.values():
        row.refresh_from_db()
    return rows


def counted(petition: Petition) -> int:
    return Signature.objects.filter(petition=petition).counted().count()


def test_signing_and_typed_domain_hash_alike(flood: dict[str, Signature]) -> None:
    bot1, bot2, real = flood["bot1"], flood["bot2"], flood["real"]
    assert len(bot1.email_domain_hash) == 64
    assert bot1.email_domain_hash == bot2.email_domain_hash != real.email_domain_hash
    assert moderation.Criteria.build(domain=" @Mailinator.COM ").domain_hash == (
        bot1.email_domain_hash
    )
    # Not the plain SHA-256 of the domain, and not comparable with address hashes.
    import hashlib

    assert bot1.email_domain_hash != hashlib.sha256(b"mailinator.com").hexdigest()
    assert bot1.email_domain_hash != services.hash_email("mailinator.com@mailinator.com")


def test_gmail_aliases_are_one_domain(petition: Petition) -> None:
    assert moderation.canonical_domain("googlemail.com") == "gmail.com"
    assert moderation.canonical_domain("BÜCHER.example") == "xn--bcher-kva.example"
    with pytest.raises(moderation.ModerationError):
        moderation.canonical_domain("not a domain")


def test_invalidate_by_domain_and_reverse_exactly(
    petition: Petition,
    flood: dict[str, Signature],
    organiser: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    campaign = petition.campaign
    assert counted(petition) == 2  # bot2 is held already
    assert refresh_stats(campaign).total == 2
    assert moderation.preview(petition, {"domain": "mailinator.com"}) == 2
    assert ModerationAction.objects.count() == 0  # preview changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        action = moderation.invalidate(
            petition, domain="mailinator.com", reason="disposable flood", user=organiser
        )
    assert action.affected == 2
    assert action.criteria["domain_label"] == "mailinator.com"
    assert action.criteria["domain_hash"] == flood["bot1"].email_domain_hash
    assert action.created_by == organiser
    reasons = dict(Signature.objects.values_list("pk", "review_reason"))
    assert reasons[flood["bot1"].pk] == f"invalidated by moderation #{action.pk}"
    assert reasons[flood["bot2"].pk] == f"invalidated by moderation #{action.pk}"
    assert reasons[flood["real"].pk] == ""
    assert counted(petition) == 1
    assert counter.confirmed_count(petition) == 1
    # A stats refresh of this campaign was queued; running it gives the new total.
    queued = DBTaskResult.objects.filter(task_path__endswith="refresh_campaign_stats")
    assert [row.args_kwargs["args"] for row in queued] == [[campaign.pk]]
    assert refresh_stats(campaign).total == 1
    assert moderation.preview(petition, {"domain": "mailinator.com"}) == 0

    with django_capture_on_commit_callbacks(execute=True):
        restored = moderation.reverse(action, organiser)
    assert restored == 2
    reasons = dict(Signature.objects.values_list("pk", "review_reason"))
    assert reasons[flood["bot1"].pk] == ""
    assert reasons[flood["bot2"].pk] == "look-alike e-mail domain"
    assert counted(petition) == 2
    assert counter.confirmed_count(petition) == 2
    assert refresh_stats(campaign).total == 2
    action.refresh_from_db()
    assert action.reversed_by == organiser and action.reversed_at is not None


def test_reversal_only_once(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    action = moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    moderation.reverse(action, organiser)
    with pytest.raises(moderation.ModerationError):
        moderation.reverse(action, organiser)
    stale = ModerationAction.objects.get(pk=action.pk)
    stale.reversed_at = None  # a second tab that still shows the action as active
    with pytest.raises(moderation.ModerationError):
        moderation.reverse(stale, organiser)


def test_reversal_leaves_later_changes_alone(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    action = moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    # Someone judged bot1 genuine meanwhile and made it count again.
    Signature.objects.filter(pk=flood["bot1"].pk).update(review_reason="")
    assert moderation.reverse(action, organiser) == 1
    flood["bot1"].refresh_from_db()
    assert flood["bot1"].review_reason == ""


def test_invalidate_by_ip_hash(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    digest = ip_hash("198.51.100.7")
    assert moderation.preview(petition, {"ip_hash": digest}) == 2
    # The address itself is accepted and hashed the same way; it is not kept.
    action = moderation.invalidate(
        petition, ip_hash="198.51.100.7", reason="one IP", user=organiser
    )
    assert action.criteria == {"ip_hash": digest}
    hit = set(Signature.objects.exclude(review_reason="").values_list("pk", flat=True))
    assert hit == {flood["bot1"].pk, flood["real"].pk, flood["bot2"].pk}
    assert set(action.entries.values_list("signature_id", flat=True)) == {
        flood["bot1"].pk,
        flood["real"].pk,
    }
    assert counted(petition) == 0


def test_invalidate_by_time_window(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    later = T0 + dt.timedelta(minutes=30)
    action = moderation.invalidate(
        petition, start=later, end=later + dt.timedelta(hours=1), reason="burst", user=organiser
    )
    assert list(action.entries.values_list("signature_id", flat=True)) == [flood["bot2"].pk]
    assert action.criteria == {
        "from": later.isoformat(),
        "to": (later + dt.timedelta(hours=1)).isoformat(),
    }
    # The end is exclusive, the start inclusive.
    assert moderation.preview(petition, {"start": T0, "end": T0 + dt.timedelta(seconds=1)}) == 2
    assert moderation.preview(petition, {"end": T0}) == 0


def test_criteria_combine_with_and(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    action = moderation.invalidate(
        petition,
        domain="mailinator.com",
        ip_hash=ip_hash("198.51.100.7"),
        reason="x",
        user=organiser,
    )
    assert list(action.entries.values_list("signature_id", flat=True)) == [flood["bot1"].pk]
    assert (
        moderation.preview(
            petition, {"domain": "mailinator.com", "start": T0 + dt.timedelta(hours=2)}
        )
        == 0
    )


def test_other_petitions_are_untouched(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    other = Petition.objects.create(campaign=petition.campaign, slug="other-petition")
    outsider = sign(other, "someone@mailinator.com")
    moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    outsider.refresh_from_db()
    assert outsider.review_reason == ""


def test_pending_signatures_are_invalidated_too(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    pending = sign(petition, "pending.bot@mailinator.com", confirmed=False)
    action = moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    assert action.affected == 3
    pending.refresh_from_db()
    assert pending.review_reason == action.marker
    # Confirming later does not make it count.
    services.confirm(pending)
    assert not Signature.objects.counted().filter(pk=pending.pk).exists()


def test_reason_and_criteria_required(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    for reason in ("", "   "):
        with pytest.raises(moderation.ModerationError):
            moderation.invalidate(petition, domain="mailinator.com", reason=reason, user=organiser)
        with pytest.raises(moderation.ModerationError):
            moderation.hide_names(petition, [flood["real"].pk], reason, organiser)
    with pytest.raises(moderation.ModerationError):
        moderation.invalidate(petition, reason="no criteria", user=organiser)
    with pytest.raises(moderation.ModerationError):
        moderation.invalidate(petition, domain="nobody-uses.example", reason="x", user=organiser)
    assert ModerationAction.objects.count() == 0
    assert counted(petition) == 2
    # The database refuses an action without a reason or with an unknown kind.
    for kind, reason in (("invalidate", ""), ("delete_everything", "x")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ModerationAction.objects.create(petition=petition, kind=kind, reason=reason)


def test_hide_and_unhide_names(
    petition: Petition,
    flood: dict[str, Signature],
    organiser: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    joke = sign(petition, "joke@example.net", name=("Xi", "Jinping"))
    assert moderation.preview(petition, {"signature_ids": [joke.pk, flood["real"].pk]}) == 2
    with django_capture_on_commit_callbacks(execute=True):
        action = moderation.hide_names(petition, [joke.pk], "joke name", organiser)
    joke.refresh_from_db()
    assert joke.name_withheld and action.kind == "hide_names" and action.affected == 1
    # Still counted: withholding a name is not invalidating a signature.
    assert Signature.objects.counted().filter(pk=joke.pk).exists()
    assert Signature.objects.filter(moderation.withheld_q(), pk=joke.pk).exists()
    # Hiding again changes nothing and is refused rather than audited as if it did.
    with pytest.raises(moderation.ModerationError):
        moderation.hide_names(petition, [joke.pk], "again", organiser)

    shown = moderation.unhide_names(petition, [joke.pk], "it was a real person", organiser)
    joke.refresh_from_db()
    assert not joke.name_withheld and shown.kind == "unhide_names"

    # Reversing the unhide withholds the name again; reversing the hide then shows it.
    moderation.reverse(shown, organiser)
    joke.refresh_from_db()
    assert joke.name_withheld
    moderation.reverse(action, organiser)
    joke.refresh_from_db()
    assert not joke.name_withheld
    assert [
        (e.previous_name_withheld, e.previous_review_reason)
        for e in ModerationEntry.objects.filter(action=action)
    ] == [(False, "")]


def test_hide_names_ignores_other_petitions_ids(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    other = Petition.objects.create(campaign=petition.campaign, slug="other-petition")
    elsewhere = sign(other, "someone@example.net")
    action = moderation.hide_names(petition, [elsewhere.pk, flood["real"].pk], "x", organiser)
    assert action.affected == 1
    elsewhere.refresh_from_db()
    assert not elsewhere.name_withheld


def test_no_plain_domain_in_signature_rows(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    moderation.hide_names(petition, [flood["real"].pk], "x", organiser)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM signatures_signature")
        rows = cursor.fetchall()
        cursor.execute("SELECT * FROM signatures_moderationentry")
        rows += cursor.fetchall()
    dump = repr(rows).lower()
    assert len(rows) == 3 + 3
    for needle in ("mailinator", "example.org", "bot.one", "real.person"):
        assert needle not in dump


def test_imported_signatures_carry_the_domain_hash(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    from safepassage.exports import importer, uploads

    header = ["First", "Last", "City", "State", "Country", "E-mail"]
    rows = [
        ["Paper", "Bot", "Seoul", "KR-11", "KR", "paper.bot@MailInator.com"],
        ["Paper", "Person", "Seoul", "KR-11", "KR", "paper.person@example.net"],
    ]
    report = importer.run_import(
        petition, rows, uploads.guess_mapping(header), "paper: test", organiser, "en"
    )
    assert report.created == 2
    imported = Signature.objects.get(petition=petition, first_name="Paper", last_name="Bot")
    assert imported.email_domain_hash == flood["bot1"].email_domain_hash
    action = moderation.invalidate(petition, domain="mailinator.com", reason="x", user=organiser)
    assert action.affected == 3


def test_old_rows_without_domain_hash_are_never_matched_by_domain(
    petition: Petition, flood: dict[str, Signature], organiser: User
) -> None:
    Signature.objects.filter(pk=flood["bot1"].pk).update(email_domain_hash="")
    assert moderation.preview(petition, {"domain": "mailinator.com"}) == 1
