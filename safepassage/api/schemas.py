"""What the API sends and accepts. Public schemas carry no signer's or RSVP's personal data."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

StatusValue = Literal["planned", "in_person", "posted", "faxed", "emailed", "refused", "failed"]
EventKind = Literal["delivery", "protest", "vigil", "demonstration", "solidarity", "other"]
# "draft": staff see next year's events before they are published; public lists never show them.
EventStatus = Literal["draft", "planned", "confirmed", "cancelled", "held"]
MissionKind = Literal["embassy", "consulate_general", "consulate", "permanent_mission", "office"]
MissionStatus = Literal["open", "closed"]
# The models' choices, spelled out for the OpenAPI document (test_public checks they agree).


class Error(Schema):
    detail: str | list[dict[str, Any]] = Field(
        description="What went wrong: a sentence, or a list of invalid parameters (422)."
    )
    errors: dict[str, list[str]] | None = Field(
        None, description="Per-field messages, when the values broke a rule (422)."
    )


# --- Public ---------------------------------------------------------------------


class OrganisationOut(Schema):
    slug: str
    name: str
    website: str


class TargetOut(Schema):
    person: str
    title: str
    government: str = Field(description="ISO 3166-1 alpha-2 code of the target government.")


class CampaignOut(Schema):
    slug: str
    title: str
    year: int
    day_of_action: date
    status: Literal["open", "closed", "archived"]
    target: TargetOut
    organisations: list[OrganisationOut]
    petitions: list[str] = Field(description="Slugs of the campaign's petitions.")


class PetitionTextOut(Schema):
    language: str
    title: str
    body: str = Field(description="The petition text in Markdown.")


class PetitionOut(Schema):
    slug: str
    campaign: str = Field(description="The campaign's slug.")
    title: str = Field(description="The title in the requested language, else the default one.")
    language: str = Field(description="The language of `title`.")
    languages: list[str]
    default_language: str
    signature_goal: int
    confirmed_count: int = Field(
        description="Signatures that count: confirmed by e-mail and not held for review."
    )
    opens_at: datetime | None
    closes_at: datetime | None
    is_open: bool
    url: str = Field(description="The signing page.")


COUNT_HIDDEN = (
    "Null when the figure is below the public threshold (PUBLIC_COUNT_THRESHOLD, default 5): "
    "small counts point at single people, so they are never published; see fewer_than."
)
FEWER_THAN = (
    "Set only when count is null: the count is at least 1 and fewer than this. "
    "Small counts are listed after the others, ordered by key, never by size."
)


class CountryCount(Schema):
    country: str = Field(description="ISO 3166-1 alpha-2 code of the signers' country.")
    count: int | None = Field(description=COUNT_HIDDEN)
    fewer_than: int | None = Field(description=FEWER_THAN)


class MissionCount(Schema):
    mission: str | None = Field(
        description="The mission's stable key; null for signatures not routed to any mission yet."
    )
    name: str | None
    count: int | None = Field(description=COUNT_HIDDEN)
    fewer_than: int | None = Field(description=FEWER_THAN)


class CountsOut(Schema):
    campaign: str
    petition: str | None = Field(description="Null when the counts cover the whole campaign.")
    total: int = Field(description="Counted signatures: confirmed and not held for review.")
    by_country: list[CountryCount]
    by_mission: list[MissionCount]
    as_of: datetime = Field(
        description="When the worker last counted (every minute or so): later signatures "
        "are in the next count; a petition's confirmed_count is live."
    )


class PetitionDetailOut(PetitionOut):
    texts: list[PetitionTextOut]
    counts: CountsOut


# --- Published after-action reports ----------------------------------------------


class ReportSummaryOut(Schema):
    campaign: str = Field(description="The campaign's slug.")
    year: int
    title: str
    published_at: datetime
    url: str = Field(description="The report's web page.")
    pdf_url: str


class ReportTotalsOut(Schema):
    signatures: int = Field(description="Counted online signatures (confirmed, not held).")
    paper: int = Field(description="Signatures collected on paper, counted separately.")
    countries: int
    missions_reached: int = Field(description="Missions with at least one counted signature.")
    unrouted: int = Field(description="Counted signatures not assigned to any mission.")
    deliveries: int = Field(description="Missions the petition was delivered to.")
    refusals: int = Field(description="Missions that refused to accept the petition.")
    responses: int
    events: int = Field(description="Public events of the day of action (not cancelled).")
    cities: int = Field(description="Cities with at least one such event.")


class DayCount(Schema):
    day: date = Field(description="UTC date of confirmation.")
    count: int


class ReportResponseOut(Schema):
    received_on: date
    channel: Literal["letter", "email", "in_person", "phone", "public", "other"]
    summary: str


class ReportMissionOut(Schema):
    mission: str = Field(description="The mission's stable key.")
    name: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2 code of the host country.")
    signatures: int | None = Field(description=COUNT_HIDDEN)
    fewer_than: int | None = Field(description=FEWER_THAN)
    delivery_status: StatusValue | None = Field(
        description="Null when no delivery was planned for the mission."
    )
    delivered_on: date | None = Field(description="Local date of the delivery.")
    responses: list[ReportResponseOut]


class ReportCityOut(Schema):
    city: str
    country: str
    events: int


class ReportYearOut(Schema):
    year: int
    campaign: str = Field(description="The slug of that year's campaign.")
    title: str
    signatures: int | None = Field(description="Online and paper; null if never counted.")
    countries: int | None
    current: bool = Field(description="True for the report's own campaign.")


class ReportSectionsOut(Schema):
    map: bool
    chart: bool
    countries: bool
    missions: bool
    events: bool
    photos: bool
    responses: bool
    years: bool


class ReportOut(ReportSummaryOut):
    introduction: str = Field(description="Markdown.")
    closing: str = Field(description="Markdown.")
    as_of: datetime = Field(description="When the figures were counted.")
    sections: ReportSectionsOut = Field(
        description="What the organisers chose to show; hidden sections are empty lists here."
    )
    totals: ReportTotalsOut
    per_day: list[DayCount]
    by_country: list[CountryCount]
    by_mission: list[ReportMissionOut]
    events_by_city: list[ReportCityOut]
    years: list[ReportYearOut]


class PositionOut(Schema):
    latitude: float
    longitude: float
    precision: Literal["venue", "city"] = Field(
        description="`venue`: the event's own place; `city`: the centre of its city."
    )


class EventOut(Schema):
    uuid: uuid.UUID
    campaign: str
    kind: EventKind
    title: str
    description: str
    status: EventStatus
    address_public: bool = Field(
        description="False: the venue and address are given only to confirmed RSVPs, "
        "and the position is at most the city's centre."
    )
    venue: str | None
    address: str | None
    city: str
    country: str
    position: PositionOut | None
    mission: str | None = Field(
        description="Key of the mission the event is at (only when the address is public)."
    )
    host: OrganisationOut | None
    contact: str = Field(description="The event's public contact, as the organisers gave it.")
    time_zone: str = Field(description="IANA time zone of the event's place.")
    starts_at: datetime = Field(description="Start, in UTC.")
    ends_at: datetime | None
    local_start: str = Field(description="Start in the event's time zone, ISO 8601 with offset.")
    local_end: str | None
    capacity: int | None
    people_coming: int = Field(description="People in confirmed RSVPs (never who they are).")
    url: str
    ical_url: str


class MissionOut(Schema):
    key: str = Field(description="Stable id: a Wikidata id where there is one, else a slug.")
    sending_state: str
    kind: MissionKind
    name: str
    host_country: str
    city: str
    postal_address: str
    postcode: str
    latitude: float | None
    longitude: float | None
    email: str = Field(description="The mission's own public address.")
    phone: str
    fax: str
    website: str
    status: MissionStatus
    opened: str
    closed: str
    districts: list[str] = Field(description="ISO 3166 codes of its consular district.")
    accreditations: list[str] = Field(description="Countries of concurrent accreditation.")
    source: str
    source_date: date | None
    updated_at: datetime


# --- With a token -----------------------------------------------------------------


class TokenInfo(Schema):
    name: str
    scope: Literal["read", "write"]
    prefix: str
    created_at: datetime


class CampaignRoles(Schema):
    slug: str
    title: str
    roles: list[str]


class MeOut(Schema):
    username: str
    token: TokenInfo
    campaigns: list[CampaignRoles]


class SignatureOut(Schema):
    id: uuid.UUID
    petition: str
    first_name: str
    last_name: str
    city: str
    region: str
    country: str
    mission: str | None = Field(description="Key of the mission the signature is routed to.")
    confirmed_at: datetime
    publish_name: bool = Field(description="Whether the name may be handed to the missions.")


class MissionRef(Schema):
    key: str
    name: str
    kind: MissionKind
    city: str
    host_country: str


class DeliveryOut(Schema):
    mission: MissionRef
    status: StatusValue
    delivered_by: str
    delivered_at: datetime | None
    received_by: str
    notes: str
    packet_sha256: str
    updated_at: datetime = Field(description="Send it back as `seen` when recording.")
    allowed_statuses: list[StatusValue] = Field(
        description="The statuses this token's user may record now (none: read only)."
    )


class HistoryOut(Schema):
    when: datetime
    who: str
    from_status: str
    to_status: str
    changed: list[str]
    reason: str


class DeliveryDetailOut(DeliveryOut):
    history: list[HistoryOut]


# Times far from now are refused (422): near the ends of the calendar, a time
# with an offset cannot even be converted to UTC.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def plausible(moment: datetime | None) -> bool:
    return moment is None or EARLIEST_YEAR <= moment.year <= LATEST_YEAR


class DeliveryRecordIn(Schema):
    status: StatusValue
    delivered_by: str = Field("", max_length=200)
    delivered_at: AwareDatetime | None = Field(
        None,
        description="When it happened, with a UTC offset, between the years 1900 and 2200; "
        "required unless planned or failed.",
    )
    received_by: str = Field("", max_length=200)
    notes: str = Field("", max_length=10_000)
    packet_sha256: str = Field("", max_length=64)
    seen: AwareDatetime | None = Field(
        None,
        description="The `updated_at` you last read: if the delivery changed since, "
        "nothing is saved and the answer is 409.",
    )


class RSVPCountOut(Schema):
    event: uuid.UUID
    title: str
    kind: EventKind
    status: EventStatus
    listed: bool
    city: str
    country: str
    starts_at: datetime
    time_zone: str
    capacity: int | None
    confirmed: int = Field(description="Confirmed RSVPs.")
    confirmed_people: int = Field(description="People those RSVPs bring.")
    pending: int = Field(description="RSVPs waiting for e-mail confirmation.")
    cancelled: int
    places_left: int | None
