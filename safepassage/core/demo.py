"""The demo campaign: Save North Korean Refugees Day.

The petition text below was written for safepassage from the public facts
the campaign relies on; it reproduces no organisation's letter.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from safepassage.campaigns.models import Campaign, Organisation, Petition, PetitionText
from safepassage.letters.models import Letter, Letterhead, LetterVersion, Signatory

TITLE_EN = "Let North Korean refugees in China reach safety"
BODY_EN = """\
On 24 September 1982 the People's Republic of China acceded to the 1951
Convention relating to the Status of Refugees and its 1967 Protocol. Yet
North Koreans who cross into China are hunted down and sent back, where
they face imprisonment, forced labour, torture and worse.

The United Nations Commission of Inquiry on human rights in the Democratic
People's Republic of Korea, which reported in February 2014, found crimes
against humanity in North Korea's political prison camps and warned that
people forcibly returned from China suffer them. Its chair wrote to the
Chinese government about this in December 2013.

No one is left without a home: under Articles 2 and 3 of its Constitution the
Republic of Korea regards North Koreans as its citizens, so every refugee
who reaches a third country can be resettled at once.

**We respectfully ask the President of the People's Republic of China to:**

1. stop the forced return of North Korean refugees;
2. let them travel safely to the Republic of Korea or another country of
   their choice;
3. set up, together with the UN High Commissioner for Refugees, a fair
   procedure to determine refugee status;
4. protect North Korean women from trafficking and punish those who exploit them.
"""

TITLE_KO = "중국 내 탈북 난민에게 안전한 길을"
BODY_KO = """\
중화인민공화국은 1982년 9월 24일 1951년 난민협약과 1967년 의정서에
가입했습니다. 그러나 중국으로 건너간 북한 주민들은 붙잡혀 강제로
송환되고, 송환된 뒤에는 구금과 강제노동, 고문을 당합니다.

2014년 2월 보고서를 낸 유엔 북한인권조사위원회는 북한 정치범수용소에서
반인도범죄가 자행되고 있으며 중국에서 강제송환된 사람들이 그 피해자가
된다고 밝혔습니다. 위원장은 2013년 12월 이 문제로 중국 정부에 서한을
보냈습니다.

대한민국 헌법 제2조와 제3조에 따라 북한 주민은 대한민국 국민이므로,
제3국에 도착한 난민은 즉시 정착할 수 있습니다.

**중화인민공화국 주석께 정중히 요청합니다.**

1. 탈북 난민의 강제송환을 중단해 주십시오.
2. 난민들이 대한민국이나 원하는 제3국으로 안전하게 갈 수 있게 해 주십시오.
3. 유엔난민기구와 함께 공정한 난민 지위 심사 절차를 마련해 주십시오.
4. 북한 여성을 인신매매로부터 보호하고 가해자를 처벌해 주십시오.
"""

LETTER_SUBJECT_EN = "North Korean refugees in China: a petition to {{ target_name }}"
# Markdown: two spaces before a line break keep the recipient's lines apart.
LETTER_BODY_EN = (
    "{{ date }}\n\n"
    "{{ mission_name }}  \n"
    "{{ mission_address }}\n\n"
    """Your Excellency,

On {{ day_of_action }}, Save North Korean Refugees Day, people in many
countries ask the same thing of {{ target_name }}, {{ target_title }}: that
North Koreans who flee to China are no longer sent back against their will.

With this letter we hand over a petition signed by {{ signatures_total }}
people; {{ signatures_mission }} of them live in the area your mission
serves. Their names follow this letter, except those of signers who asked
to be counted only.

People returned to North Korea face imprisonment, forced labour and torture,
as the United Nations Commission of Inquiry reported in 2014. China is a
party to the 1951 Refugee Convention and its 1967 Protocol. We respectfully
ask that the forced returns stop, that refugees may travel on to the Republic
of Korea or another country of their choice, and that the UN High
Commissioner for Refugees be allowed to reach them.

We would be grateful if you would forward this petition to {{ target_name }}.
"""
)
LETTER_CLOSING_EN = "Respectfully yours,"

ORGANISATIONS = [
    ("Demo North Korea Freedom Coalition", "demo-nk-freedom-coalition", "https://example.org/"),
    ("Demo Refugee Rescue Network Tokyo", "demo-refugee-rescue-tokyo", "https://example.net/"),
]


# The demo's day of action is this many days after the day it is loaded: a few
# weeks ahead, so the demo always looks like a campaign in progress.
DEMO_LEAD_DAYS = 24


def demo_day(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=DEMO_LEAD_DAYS)


@transaction.atomic
def load_demo(year: int | None = None, *, today: dt.date | None = None) -> Petition:
    """Create (or update) the demo campaign; safe to run again.

    Without ``year`` the day of action is ``demo_day(today)``, a few weeks
    ahead (loading it again later moves it ahead again); with ``year``, the
    real 24 September of that year (the tests' fixed campaign).
    """
    day = dt.date(year, 9, 24) if year else demo_day(today)
    year = day.year
    campaign, _ = Campaign.objects.update_or_create(
        slug=f"save-north-korean-refugees-day-{year}",
        defaults={
            "title": "Save North Korean Refugees Day",
            "year": year,
            "day_of_action": day,
            "target_person": "Xi Jinping",
            "target_title": "President of the People's Republic of China",
            "target_government": "CN",
            "status": Campaign.Status.OPEN,
        },
    )
    for name, slug, website in ORGANISATIONS:
        organisation, _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "website": website}
        )
        campaign.organisations.add(organisation)
    petition, _ = Petition.objects.update_or_create(
        slug=f"safe-passage-{year}",
        defaults={"campaign": campaign, "signature_goal": 10_000, "default_language": "en"},
    )
    for language, title, body in (("en", TITLE_EN, BODY_EN), ("ko", TITLE_KO, BODY_KO)):
        PetitionText.objects.update_or_create(
            petition=petition, language=language, defaults={"title": title, "body": body}
        )
    _demo_letter(campaign)
    return petition


def _demo_letter(campaign: Campaign) -> None:
    """An approved sample letter and a designed letterhead, made once."""

    coalition = Organisation.objects.get(slug=ORGANISATIONS[0][1])
    Letterhead.objects.get_or_create(
        organisation=coalition,
        name="Standard",
        defaults={
            "kind": Letterhead.Kind.DESIGNED,
            "footer_lines": "Board: A. Example (chair) · B. Example (treasurer) · C. Example",
        },
    )
    letter, created = Letter.objects.get_or_create(
        campaign=campaign, organisation=None, language="en"
    )
    if not created:
        return
    version = LetterVersion.objects.create(
        letter=letter,
        number=1,
        subject=LETTER_SUBJECT_EN,
        body=LETTER_BODY_EN,
        closing=LETTER_CLOSING_EN,
        status=LetterVersion.Status.APPROVED,
        reviewed_at=timezone.now(),
    )
    Signatory.objects.create(version=version, name="The coalition's coordinators", position=0)
    letter.approved_version = version
    letter.save(update_fields=["approved_version"])
