"""The letter workflow's rules: versions, forks, review, who may do what."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign, Organisation, Petition
from safepassage.letters import services
from safepassage.letters.models import Letter, Letterhead, LetterVersion, SupportingDocument
from safepassage.letters.services import SignatoryData

PASSWORD = "pw-letters-1"

SAMPLE_BODY = (
    "Dear {{ target_name }},\n\n"
    "On {{ day_of_action }} we write to the {{ mission_name }} in {{ mission_city }}.\n\n"
    "We ask for safe passage of North Korean refugees."
)


def make_user(username: str, *, password: str | None = None, **extra: Any) -> Any:
    """A user; without a password (logged in with force_login), since hashing one is slow."""
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 20), (10, 20, 90)).save(out, "PNG")
    return out.getvalue()


class World:
    """A campaign with two partner organisations and a person in each role."""

    def __init__(self, *, passwords: bool = False) -> None:
        password = PASSWORD if passwords else None
        self.campaign = Campaign.objects.create(
            title="Save North Korean Refugees Day",
            slug="snkrd-letters",
            year=2026,
            day_of_action=dt.date(2026, 9, 24),
            target_person="Xi Jinping",
            target_title="President of the People's Republic of China",
            target_government="CN",
            status=Campaign.Status.OPEN,
        )
        Petition.objects.create(campaign=self.campaign, slug="safe-passage-letters")
        self.org_a = Organisation.objects.create(name="Freedom Coalition", slug="freedom")
        self.org_b = Organisation.objects.create(name="Tokyo Refugee Help", slug="tokyo-help")
        self.campaign.organisations.add(self.org_a, self.org_b)
        self.organiser = make_user(
            "olivia", password=password, first_name="Olivia", last_name="Organiser"
        )
        self.editor_a = make_user("alice", password=password)
        self.editor_b = make_user("bora")
        self.coordinator = make_user("chen")
        self.stranger = make_user("sam")
        Role.objects.create(user=self.organiser, campaign=self.campaign, kind="organiser")
        Role.objects.create(
            user=self.editor_a,
            campaign=self.campaign,
            kind="partner_editor",
            organisation=self.org_a,
        )
        Role.objects.create(
            user=self.editor_b,
            campaign=self.campaign,
            kind="partner_editor",
            organisation=self.org_b,
        )
        Role.objects.create(user=self.coordinator, campaign=self.campaign, kind="coordinator")

    def sample(self, *, approve: bool = True) -> Letter:
        letter = services.create_sample_letter(
            self.campaign,
            language="en",
            subject="Safe passage for North Korean refugees",
            body=SAMPLE_BODY,
            closing="Respectfully,",
            user=self.organiser,
        )
        if approve:
            version = letter.latest_version()
            assert version is not None
            services.approve(version, user=self.organiser)
            letter.refresh_from_db()
        return letter


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None) -> World:
    return World()


def save(letter: Letter, user: Any, body: str, **extra: Any) -> LetterVersion | None:
    latest = letter.latest_version()
    assert latest is not None
    fields: dict[str, Any] = {
        "subject": latest.subject,
        "closing": latest.closing,
        "signatories": (),
    }
    fields.update(extra)
    return services.save_version(letter, body=body, user=user, **fields)


# --- versions ---------------------------------------------------------------------------


def test_every_save_makes_the_next_version_and_leaves_the_old_one_alone(world: World) -> None:
    letter = world.sample(approve=False)
    first = letter.latest_version()
    assert first is not None and first.number == 1

    second = save(letter, world.organiser, SAMPLE_BODY + "\n\nThank you.")
    third = save(letter, world.organiser, SAMPLE_BODY + "\n\nThank you very much.")

    assert second is not None and third is not None
    assert [v.number for v in letter.versions.order_by("number")] == [1, 2, 3]
    first.refresh_from_db()
    assert first.body == SAMPLE_BODY
    assert third.status == LetterVersion.Status.DRAFT
    assert third.created_by == world.organiser


def test_saving_without_a_change_makes_no_version(world: World) -> None:
    letter = world.sample(approve=False)
    assert save(letter, world.organiser, SAMPLE_BODY) is None
    # Windows line ends from a browser's textarea are the same text.
    assert save(letter, world.organiser, SAMPLE_BODY.replace("\n", "\r\n")) is None
    assert letter.versions.count() == 1


def test_a_changed_signatory_is_a_change(world: World) -> None:
    letter = world.sample(approve=False)
    signed = save(letter, world.organiser, SAMPLE_BODY, signatories=[SignatoryData("Suzanne")])
    assert signed is not None and signed.number == 2
    again = save(letter, world.organiser, SAMPLE_BODY, signatories=[SignatoryData("Suzanne")])
    assert again is None
    titled = save(
        letter, world.organiser, SAMPLE_BODY, signatories=[SignatoryData("Suzanne", "Chair")]
    )
    assert titled is not None
    assert [(s.name, s.title) for s in titled.signatories.all()] == [("Suzanne", "Chair")]


def test_a_kept_signature_scan_is_shared_by_the_next_version(world: World) -> None:
    letter = world.sample(approve=False)
    scan = ContentFile(png_bytes(), name="scan.png")
    v2 = save(
        letter, world.organiser, SAMPLE_BODY, signatories=[SignatoryData("Suzanne", "", scan)]
    )
    assert v2 is not None
    stored = v2.signatories.get().signature_image.name
    assert stored
    v3 = save(
        letter,
        world.organiser,
        SAMPLE_BODY + "\n\nP.S.",
        signatories=[SignatoryData("Suzanne", "", stored)],
    )
    assert v3 is not None
    assert v3.signatories.get().signature_image.name == stored


@pytest.mark.parametrize(
    "bad, named",
    [
        ("{{ embassy_name }}", "embassy_name"),
        ("{{ mission name }}", "{{ mission name }}"),
        ("{{ mission_city", "{{ mission_city"),
    ],
)
def test_a_bad_merge_field_blocks_saving_and_is_named(world: World, bad: str, named: str) -> None:
    letter = world.sample(approve=False)
    with pytest.raises(ValidationError) as caught:
        save(letter, world.organiser, SAMPLE_BODY + "\n\nGreetings to " + bad)
    assert named in " ".join(caught.value.message_dict["body"])
    assert letter.versions.count() == 1


def test_a_bad_merge_field_in_the_subject_blocks_saving_too(world: World) -> None:
    letter = world.sample(approve=False)
    with pytest.raises(ValidationError, match="mission_nme"):
        save(letter, world.organiser, SAMPLE_BODY, subject="To {{ mission_nme }}")
    assert letter.versions.count() == 1


# --- forks -------------------------------------------------------------------------------


def test_a_fork_copies_the_approved_text_and_records_where_it_came_from(world: World) -> None:
    sample = world.sample()
    approved = sample.approved_version
    save(sample, world.organiser, SAMPLE_BODY + "\n\nAn unapproved change.")

    letter = services.fork(sample, world.org_a, user=world.editor_a)

    assert letter.forked_from == approved
    assert letter.organisation == world.org_a
    assert letter.language == "en"
    [version] = letter.versions.all()
    assert (version.number, version.status) == (1, LetterVersion.Status.DRAFT)
    assert version.body == SAMPLE_BODY  # the approved text, not the newer draft
    assert version.subject == "Safe passage for North Korean refugees"
    assert version.closing == "Respectfully,"
    assert version.created_by == world.editor_a
    assert not version.signatories.exists()


def test_a_fork_of_an_unapproved_sample_starts_from_its_newest_version(world: World) -> None:
    sample = world.sample(approve=False)
    newest = save(sample, world.organiser, SAMPLE_BODY + "\n\nDraft two.")
    letter = services.fork(sample, world.org_b, user=world.organiser)
    assert letter.forked_from == newest
    assert letter.latest_version().body.endswith("Draft two.")  # type: ignore[union-attr]


def test_an_organisation_forks_once_per_language(world: World) -> None:
    sample = world.sample()
    services.fork(sample, world.org_a, user=world.editor_a)
    with pytest.raises(ValidationError):
        services.fork(sample, world.org_a, user=world.editor_a)


# --- review ------------------------------------------------------------------------------


def test_a_partner_editor_cannot_approve_but_an_organiser_can(world: World) -> None:
    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    version = letter.latest_version()
    assert version is not None
    services.submit(version, user=world.editor_a)
    assert version.status == LetterVersion.Status.SUBMITTED

    with pytest.raises(ValidationError):
        services.approve(version, user=world.editor_a)
    letter.refresh_from_db()
    assert letter.approved_version is None

    services.approve(version, user=world.organiser)
    letter.refresh_from_db()
    version.refresh_from_db()
    assert letter.approved_version == version
    assert version.status == LetterVersion.Status.APPROVED
    assert version.reviewed_by == world.organiser
    assert version.reviewed_at is not None


def test_sending_back_keeps_the_previously_approved_version(world: World) -> None:
    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    v1 = letter.latest_version()
    assert v1 is not None
    services.submit(v1, user=world.editor_a)
    services.approve(v1, user=world.organiser)
    v2 = save(letter, world.editor_a, SAMPLE_BODY + "\n\nOur own words.")
    assert v2 is not None
    services.submit(v2, user=world.editor_a)

    with pytest.raises(ValidationError):
        services.request_changes(v2, user=world.editor_b, note="no")
    services.request_changes(v2, user=world.organiser, note="Please be more respectful.")

    letter.refresh_from_db()
    v2.refresh_from_db()
    assert letter.approved_version == v1
    assert v2.status == LetterVersion.Status.REJECTED
    assert v2.review_note == "Please be more respectful."
    # Sent back, it can be submitted again.
    services.submit(v2, user=world.editor_a)
    services.approve(v2, user=world.organiser)
    letter.refresh_from_db()
    assert letter.approved_version == v2


def test_only_the_newest_version_is_submitted(world: World) -> None:
    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    v1 = letter.latest_version()
    save(letter, world.editor_a, SAMPLE_BODY + "\n\nMore.")
    with pytest.raises(ValidationError):
        services.submit(v1, user=world.editor_a)  # type: ignore[arg-type]


def test_another_organisations_editor_cannot_submit(world: World) -> None:
    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    with pytest.raises(ValidationError):
        services.submit(letter.latest_version(), user=world.editor_b)  # type: ignore[arg-type]


# --- who sees what ---------------------------------------------------------------------------


def test_each_role_sees_the_letters_it_should(world: World) -> None:
    sample = world.sample()
    letter_a = services.fork(sample, world.org_a, user=world.editor_a)
    letter_b = services.fork(sample, world.org_b, user=world.editor_b)
    seen = {
        name: set(services.letters_for(user, world.campaign))
        for name, user in [
            ("organiser", world.organiser),
            ("editor_a", world.editor_a),
            ("coordinator", world.coordinator),
            ("stranger", world.stranger),
        ]
    }
    assert seen["organiser"] == {sample, letter_a, letter_b}
    assert seen["editor_a"] == {sample, letter_a}
    assert seen["coordinator"] == seen["stranger"] == set()
    assert services.can_edit_letter(world.editor_a, letter_a)
    assert not services.can_edit_letter(world.editor_a, letter_b)
    assert not services.can_edit_letter(world.editor_a, sample)
    assert services.can_edit_letter(world.organiser, sample)


@pytest.fixture
def forked(world: World) -> tuple[Letter, Letter]:
    sample = world.sample()
    return (
        services.fork(sample, world.org_a, user=world.editor_a),
        services.fork(sample, world.org_b, user=world.editor_b),
    )


def test_an_editor_cannot_reach_another_organisations_letter(
    client: Any, world: World, forked: tuple[Letter, Letter]
) -> None:
    _letter_a, letter_b = forked
    client.force_login(world.editor_a)
    slug = world.campaign.slug
    for name, args in [
        ("letters:edit", [slug, letter_b.pk]),
        ("letters:history", [slug, letter_b.pk]),
        ("letters:preview", [slug, letter_b.pk, 1]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    response = client.post(
        reverse("letters:edit", args=[slug, letter_b.pk]),
        {"subject": "x", "body": "Taken over", "closing": ""},
    )
    assert response.status_code == 404
    assert client.post(reverse("letters:submit", args=[slug, letter_b.pk, 1])).status_code == 404
    assert letter_b.versions.count() == 1
    assert letter_b.latest_version().status == "draft"  # type: ignore[union-attr]


def test_an_editor_cannot_reach_another_organisations_letterheads(
    client: Any, world: World
) -> None:
    head_b = Letterhead.objects.create(
        organisation=world.org_b, name="Tokyo head", kind=Letterhead.Kind.DESIGNED
    )
    client.force_login(world.editor_a)
    slug = world.campaign.slug
    urls = [
        reverse("letters:letterheads", args=[slug, world.org_b.pk]),
        reverse("letters:letterhead-new", args=[slug, world.org_b.pk, "designed"]),
        reverse("letters:letterhead-edit", args=[slug, world.org_b.pk, head_b.pk]),
        reverse("letters:letterhead-preview", args=[slug, world.org_b.pk, head_b.pk]),
        # Through one's own organisation's address, too.
        reverse("letters:letterhead-edit", args=[slug, world.org_a.pk, head_b.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    response = client.post(urls[2], {"name": "Hijacked", "accent_colour": "#000000"})
    assert response.status_code == 404
    head_b.refresh_from_db()
    assert head_b.name == "Tokyo head"


def test_a_partner_editor_cannot_approve_through_the_page(
    client: Any, world: World, forked: tuple[Letter, Letter]
) -> None:
    letter_a, _letter_b = forked
    services.submit(letter_a.latest_version(), user=world.editor_a)  # type: ignore[arg-type]
    client.force_login(world.editor_a)
    url = reverse("letters:review", args=[world.campaign.slug, letter_a.pk, 1])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    letter_a.refresh_from_db()
    assert letter_a.approved_version is None
    assert letter_a.latest_version().status == "submitted"  # type: ignore[union-attr]


def test_a_partner_editor_reads_but_does_not_edit_the_sample_letter(
    client: Any, world: World
) -> None:
    sample = world.sample()
    client.force_login(world.editor_a)
    slug = world.campaign.slug
    assert client.get(reverse("letters:history", args=[slug, sample.pk])).status_code == 200
    assert client.get(reverse("letters:edit", args=[slug, sample.pk])).status_code == 403
    assert client.get(reverse("letters:sample-new", args=[slug])).status_code == 403
    assert client.get(reverse("letters:documents", args=[slug])).status_code == 403


def test_coordinators_and_strangers_are_refused_and_anonymous_visitors_log_in(
    client: Any, world: World
) -> None:
    sample = world.sample()
    slug = world.campaign.slug
    urls = [
        reverse("letters:index", args=[slug]),
        reverse("letters:edit", args=[slug, sample.pk]),
        reverse("letters:history", args=[slug, sample.pk]),
        reverse("letters:preview", args=[slug, sample.pk, 1]),
        reverse("letters:documents", args=[slug]),
        reverse("letters:letterheads", args=[slug, world.org_a.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    for user in (world.coordinator, world.stranger):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)


# --- supporting documents -------------------------------------------------------------------


def _document(world: World, title: str = "Letter of the inquiry's chair") -> SupportingDocument:
    from safepassage.letters.documents import store_supporting_document

    upload = SimpleUploadedFile("coi.pdf", pdf_bytes(2), content_type="application/pdf")
    return store_supporting_document(
        world.campaign, title=title, language="en", file=upload, user=world.organiser
    )


def test_a_document_used_in_a_packet_build_is_not_deleted(world: World) -> None:
    from safepassage.packets.models import PacketBuild

    used = _document(world)
    unused = _document(world, "Flyer")
    letter = services.fork(world.sample(), world.org_a, user=world.editor_a)
    letter.attachments.add(used)
    build = PacketBuild.objects.create(
        campaign=world.campaign,
        petition=world.campaign.petitions.get(),
        snapshot_at=timezone.now(),
    )
    build.letter_versions.add(letter.latest_version())  # type: ignore[arg-type]

    with pytest.raises(ValidationError, match="delivery packets"):
        services.delete_document(used)
    assert SupportingDocument.objects.filter(pk=used.pk).exists()

    services.delete_document(unused)
    assert not SupportingDocument.objects.filter(pk=unused.pk).exists()


def test_version_diff_shows_what_changed(world: World) -> None:
    letter = world.sample(approve=False)
    v2 = save(letter, world.organiser, SAMPLE_BODY.replace("safe passage", "<b>safe</b> passage"))
    assert v2 is not None
    diff = services.version_diff(letter.versions.get(number=1), v2)
    assert ("remove", "We ask for safe passage of North Korean refugees.") in diff
    assert ("add", "We ask for <b>safe</b> passage of North Korean refugees.") in diff
