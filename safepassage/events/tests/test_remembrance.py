"""The remembrance list and the reading script for vigils (issue 5).

The PDF is read back with pypdf and with poppler's pdftotext, and drawn
with pdftoppm: public names in their reader's section, in order; the
Korean names as text; non-public names nowhere; the same bytes twice.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

import personas
from conftest import require
from personas import coordinator_of, organiser_of
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.events import remembrance
from safepassage.events.models import ReadingScript, RemembranceName

# name, native name, date, place
PUBLIC = [
    ("Kim Chol-su", "김철수", "2019-03-12", "Tumen"),
    ("Ri Yong-hui", "리영희", "", "Shenyang"),
    ("Pak Sun-ok", "박순옥", "2020", ""),
    ("Choe Myong-il", "", "", ""),
    ("Han Ji-won", "한지원", "2017-07-15", "Dandong"),
    ("Jang Song-mi", "", "2018", "Yanji"),
    ("Kang Mi-ran", "康美蘭", "", "Changbai"),
    ("Oh Kyong-ae", "오경애", "2021-01-09", ""),
    ("Song Hye-rim", "송혜림", "", ""),
    ("Mun Chang-ho", "문창호", "2016", "Hunchun"),
]
HIDDEN = [
    ("Seo Withheld", "서비밀", "2022", "Tumen"),
    ("Lee Unconsented", "이동의", "", ""),
]
OPENING = "Tonight we read their names aloud.\n\nEach one was sent back."
CLOSING = "We will not forget them. 잊지 않겠습니다."


# --- Fixtures ------------------------------------------------------------------------


def make_campaign(
    slug: str = "snkr-2026", title: str = "Save North Korean Refugees Day"
) -> Campaign:
    return personas.make_campaign(
        slug, title=title, day_of_action=dt.date(2026, 9, 22), target_title="President"
    )


@pytest.fixture
def campaign(db) -> Campaign:
    campaign = make_campaign()
    rows = list(PUBLIC)
    # Non-public names sit between public ones: filtering must keep the order.
    rows.insert(2, HIDDEN[0])
    rows.insert(7, HIDDEN[1])
    hidden = {name for name, *_ in HIDDEN}
    for position, (name, native, date, place) in enumerate(rows, start=1):
        RemembranceName.objects.create(
            campaign=campaign,
            name=name,
            native_name=native,
            date=date,
            place=place,
            source="Testimony collected by the campaign",
            public=name not in hidden,
            position=position * 10,
        )
    ReadingScript.objects.create(campaign=campaign, opening=OPENING, closing=CLOSING)
    return campaign


@pytest.fixture
def organiser(campaign) -> Client:
    client = Client()
    client.force_login(organiser_of(campaign, "orla", is_staff=True))
    return client


@pytest.fixture
def coordinator(campaign) -> Client:
    client = Client()
    client.force_login(coordinator_of(campaign, "cora", "US", "Washington", is_staff=True))
    return client


def page_url(campaign: Campaign) -> str:
    return reverse("events:remembrance", args=[campaign.slug])


def pdf_url(campaign: Campaign, readers: int | str) -> str:
    return reverse("events:remembrance_pdf", args=[campaign.slug]) + f"?readers={readers}"


def import_url(campaign: Campaign) -> str:
    return reverse("events:remembrance_import", args=[campaign.slug])


# --- The split -------------------------------------------------------------------------


def test_ten_names_for_three_readers_are_four_three_three_in_order():
    names = [f"n{i}" for i in range(1, 11)]
    blocks = remembrance.split_for_readers(names, 3)
    assert [len(b) for b in blocks] == [4, 3, 3]
    assert blocks == [names[0:4], names[4:7], names[7:10]]


def test_more_readers_than_names_leaves_the_last_readers_without_names():
    assert remembrance.split_for_readers(["a", "b"], 5) == [["a"], ["b"], [], [], []]
    assert remembrance.split_for_readers([], 3) == [[], [], []]
    assert remembrance.split_for_readers(["a", "b", "c"], 1) == [["a", "b", "c"]]
    with pytest.raises(ValueError):
        remembrance.split_for_readers(["a"], 0)


@given(st.lists(st.integers(), max_size=300), st.integers(min_value=1, max_value=50))
def test_the_split_keeps_everything_in_order_and_evens_out(items, readers):
    blocks = remembrance.split_for_readers(items, readers)
    assert len(blocks) == readers
    assert [x for block in blocks for x in block] == items
    sizes = [len(block) for block in blocks]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the earlier readers get the extra ones


def test_reading_parts_number_the_names_through_the_whole_reading(campaign):
    parts = remembrance.reading_parts(remembrance.public_names(campaign), 3)
    assert [(p.reader, p.first, p.last) for p in parts] == [(1, 1, 4), (2, 5, 7), (3, 8, 10)]
    first = parts[0].entries[0]
    assert (first.name, first.native_name, first.native_lang) == ("Kim Chol-su", "김철수", "ko")
    assert first.details == "2019-03-12, Tumen"
    assert parts[0].entries[3].details == ""  # Choe Myong-il: nothing known
    assert parts[2].entries[0].name == "Oh Kyong-ae"
    assert remembrance.script_language("山田はなこ") == "ja"
    assert remembrance.script_language("康美蘭") == ""


# --- The PDF ---------------------------------------------------------------------------


def needs_pdf_tools() -> None:
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    require(shutil.which("fc-list") is not None, "fc-list (fontconfig)")
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    require("Noto Sans CJK" in fonts, "the Noto Sans CJK fonts (fonts-noto-cjk)")


@pytest.fixture
def script_pdf(organiser, campaign, tmp_path):
    needs_pdf_tools()
    response = organiser.get(pdf_url(campaign, 3))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"]
    path = tmp_path / "script.pdf"
    path.write_bytes(response.content)
    return path


def poppler_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


def test_the_pdf_has_each_readers_public_names_in_order_and_nothing_else(script_pdf):
    reader = PdfReader(script_pdf)
    pypdf_pages = [page.extract_text() for page in reader.pages]
    expected_sections = [PUBLIC[0:4], PUBLIC[4:7], PUBLIC[7:10]]
    for pages in (pypdf_pages, poppler_pages(script_pdf)):
        assert len(pages) == 5  # title, three readers, closing words
        whole = "\n".join(pages)
        title_page = pages[0]
        assert "Save North Korean Refugees Day" in title_page
        assert "Tonight we read their names aloud." in title_page
        assert "Each one was sent back." in title_page
        assert "10 names" in title_page and "3 readers" in title_page
        for number, (section, page) in enumerate(
            zip(expected_sections, pages[1:4], strict=True), start=1
        ):
            assert f"Reader {number}" in page
            others = [row for row in PUBLIC if row not in section]
            positions = [page.index(name) for name, *_ in section]
            assert positions == sorted(positions), "names out of order"
            assert not any(name in page for name, *_ in others)
        assert "Closing words" in pages[4]
        assert "We will not forget them." in pages[4] and "잊지 않겠습니다" in pages[4]
        # Native names in brackets, numbers running through, date and place if known.
        assert "(김철수)" in pages[1] and "(康美蘭)" in pages[2] and "(문창호)" in pages[3]
        assert "2019-03-12, Tumen" in pages[1]
        assert re.search(r"^\s*5\.\s*$|^\s*5\.\s+Han Ji-won", pages[2], re.M)
        assert re.search(r"^\s*10\.\s*$|^\s*10\.\s+Mun Chang-ho", pages[3], re.M)
        # Page numbers in the footer.
        for number, page in enumerate(pages, start=1):
            assert re.search(rf"\b{number}\s*/\s*5\b", page), page
        for name, native, *_ in HIDDEN:
            assert name not in whole and native not in whole
        assert "Withheld" not in whole and "Unconsented" not in whole


def test_the_pdf_is_a4_with_the_cjk_fonts_embedded_and_no_dates(script_pdf):
    reader = PdfReader(script_pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    fonts: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # Subset names such as "/ABCDEF+Noto-Sans-CJK-KR": the Hangul is drawn with a CJK font.
    squeezed = {re.sub(r"[-_ ]", "", font.split("+")[-1]) for font in fonts}
    assert "NotoSansCJKKR" in squeezed, fonts
    assert "NotoSans" in squeezed and "NotoSansBold" in squeezed, fonts
    info: Any = reader.trailer["/Info"].get_object()
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert "Reading of the names" in str(info["/Title"])


def test_the_pdf_draws_to_pages_that_are_not_blank(script_pdf, tmp_path):
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(script_pdf), str(tmp_path / "page")], check=True
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 5
    for png in pngs:
        with Image.open(png) as image:
            grey = image.convert("L")
            assert grey.size == (414, 585)  # A4 at 50 dpi
            dark = sum(count for value, count in enumerate(grey.histogram()) if value < 128)
            assert dark > 150, f"{png.name} looks blank ({dark} dark pixels)"


def test_the_same_data_gives_the_same_bytes(organiser, campaign, tmp_path):
    needs_pdf_tools()
    first = organiser.get(pdf_url(campaign, 4)).content
    second = organiser.get(pdf_url(campaign, 4)).content
    assert first[:5] == b"%PDF-" and first == second
    # In a fresh process with another hash seed, too.
    html = remembrance.reading_script_html(campaign, 4)
    source = tmp_path / "script.html"
    source.write_text(html, encoding="utf-8")
    out = tmp_path / "other.pdf"
    code = (
        "import sys, django; django.setup();"
        "from pathlib import Path; from safepassage.lib.pdf import html_to_pdf;"
        "pdf = html_to_pdf(Path(sys.argv[1]).read_text('utf-8'));"
        "Path(sys.argv[2]).write_bytes(pdf)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242", "DJANGO_SETTINGS_MODULE": "safepassage.settings"}
    subprocess.run(
        [sys.executable, "-c", code, str(source), str(out)],
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
    )
    assert out.read_bytes() == first
    # ...and other data gives other bytes.
    RemembranceName.objects.filter(name="Kim Chol-su").update(place="Hyesan")
    assert organiser.get(pdf_url(campaign, 4)).content != first


def test_more_readers_than_public_names(organiser, campaign):
    needs_pdf_tools()
    response = organiser.get(pdf_url(campaign, 12))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Reader 12" in text and "Mun Chang-ho" in text
    assert text.count("No names for this reader") == 2


def test_the_readers_number_must_be_from_1_to_50(organiser, campaign):
    for bad in ("0", "51", "three", "-1"):
        response = organiser.get(pdf_url(campaign, bad))
        assert response.status_code == 400, bad
    assert RemembranceName.objects.count() == 12  # nothing changed


# --- The organiser's page --------------------------------------------------------------


def test_who_may_see_the_pages(client, coordinator, organiser, campaign):
    urls = [page_url(campaign), pdf_url(campaign, 2), import_url(campaign)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next=")
        assert coordinator.get(url).status_code == 404, url
    # An organiser of another campaign does not see this one.
    other = make_campaign("other-2026", "Another campaign")
    stranger = Client()
    stranger.force_login(organiser_of(other, "oscar", is_staff=True))
    assert stranger.get(page_url(campaign)).status_code == 404
    assert stranger.get(page_url(other)).status_code == 200
    assert organiser.get(page_url(other)).status_code == 404
    missing = reverse("events:remembrance", args=["no-such-campaign"])
    assert organiser.get(missing).status_code == 404
    assert organiser.get(page_url(campaign)).status_code == 200
    superuser = Client()
    superuser.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x"))
    assert superuser.get(page_url(campaign)).status_code == 200


def test_the_organisers_page_lists_every_name_with_the_non_public_ones_marked(organiser, campaign):
    response = organiser.get(page_url(campaign) + "?readers=3")
    html = response.content.decode()
    assert response["Cache-Control"].count("private") == 1
    for name, native, *_ in PUBLIC + HIDDEN:
        assert name in html
        if native:
            assert native in html
    rows = re.findall(
        r'<tr class="(public|not-public)">\s*<td class="position">\d+</td>\s*'
        r'<td><span class="name">([^<]+)</span>',
        html,
    )
    assert ("not-public", "Seo Withheld") in rows and ("not-public", "Lee Unconsented") in rows
    assert ("public", "Kim Chol-su") in rows
    assert [name for _, name in rows][:3] == ["Kim Chol-su", "Ri Yong-hui", "Seo Withheld"]
    assert "never read or printed" in html
    assert "10 names may be read in public" in html
    assert "names 1 to 4 (4 names)" in html and "names 8 to 10 (3 names)" in html
    # The form is filled from the saved script.
    assert "Tonight we read their names aloud." in html and "잊지 않겠습니다" in html
    assert pdf_url(campaign, 3).replace("&", "&amp;") in html


def test_the_words_are_saved_and_the_pdf_button_leads_to_the_pdf(organiser, campaign):
    response = organiser.post(
        page_url(campaign),
        {"readers": "7", "opening": "  New opening.  ", "closing": "New closing.", "pdf": "1"},
    )
    assert response.status_code == 302 and response["Location"] == pdf_url(campaign, 7)
    script = ReadingScript.objects.get(campaign=campaign)
    assert (script.opening, script.closing) == ("New opening.", "New closing.")
    response = organiser.post(
        page_url(campaign), {"readers": "2", "opening": "Again.", "closing": ""}
    )
    assert response.status_code == 302 and response["Location"].endswith("?readers=2")
    assert ReadingScript.objects.get(campaign=campaign).closing == ""
    html = organiser.get(response["Location"]).content.decode()
    assert "The opening and closing words are saved." in html
    response = organiser.post(page_url(campaign), {"readers": "51", "opening": "x"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 50" in response.content.decode()
    assert ReadingScript.objects.get(campaign=campaign).opening == "Again."


def test_a_campaign_without_a_script_or_names(organiser, campaign):
    empty = make_campaign("empty-2026", "Empty campaign")
    Role.objects.create(
        user=get_user_model().objects.get(username="orla"), campaign=empty, kind="organiser"
    )
    html = organiser.get(page_url(empty)).content.decode()
    assert "The list is empty." in html
    needs_pdf_tools()
    pdf = organiser.get(pdf_url(empty, 2)).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reader 2" in text and "Closing words" not in text
    assert not ReadingScript.objects.filter(campaign=empty).exists()  # a GET saves nothing


def test_names_are_escaped_in_the_page_and_the_pdf(organiser, campaign):
    RemembranceName.objects.create(
        campaign=campaign, name='<img src="http://127.0.0.1:9/x">Evil', public=True, position=999
    )
    html = organiser.get(page_url(campaign)).content.decode()
    assert '<img src="http://127.0.0.1:9/x">' not in html
    needs_pdf_tools()
    pdf = organiser.get(pdf_url(campaign, 1)).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert '<img src="http://127.0.0.1:9/x">Evil' in text.replace("\n", "")


# --- CSV import and export -------------------------------------------------------------


def upload(text: str, name: str = "names.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_import_adds_good_rows_in_order_and_reports_the_rejected_ones(organiser, campaign):
    csv_text = (
        "name,native_name,date,place,source,public\n"
        "Yun Sang-hun,윤상훈,2023-10-09,Jilin,Report A,yes\n"
        ",빈이름,,,Report B,yes\n"
        "Too Long Date,," + "9" * 41 + ",,Report C,no\n"
        "Bad Flag,,,,Report D,maybe\n"
        "Extra Cells,,,,Report E,no,surprise\n"
        "Cho Eun-ha,조은하,,,Report F,\n"
        "'=Formula Lookalike,,,,Report G,no\n"
    )
    response = organiser.post(import_url(campaign), {"names": upload(csv_text)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 added (1 of them public), 0 already on the list, 4 rejected" in html
    table = html[html.index('id="rejected"') :]
    assert "<td>3</td>" in table and "the name is empty" in table
    assert "<td>4</td>" in table and "date is longer than 40 characters" in table
    assert "<td>5</td>" in table and "public must be yes or no, not &#x27;maybe&#x27;" in table
    assert "<td>6</td>" in table and "more cells than the header has columns" in table
    added = RemembranceName.objects.filter(campaign=campaign).order_by("-position")[:3]
    assert [(n.name, n.public) for n in reversed(added)] == [
        ("Yun Sang-hun", True),
        ("Cho Eun-ha", False),  # an empty public cell is no
        ("=Formula Lookalike", False),  # our export's apostrophe is taken off again
    ]
    assert added[2].position > 120  # after the names that were already there
    yun = RemembranceName.objects.get(name="Yun Sang-hun")
    assert (yun.native_name, yun.date, yun.place, yun.source) == (
        "윤상훈",
        "2023-10-09",
        "Jilin",
        "Report A",
    )
    # The same file again adds nothing.
    response = organiser.post(import_url(campaign), {"names": upload(csv_text)})
    assert "0 added (0 of them public), 3 already on the list, 4 rejected" in (
        response.content.decode()
    )
    assert RemembranceName.objects.filter(campaign=campaign).count() == 15


def test_import_reads_spreadsheet_files_and_refuses_what_it_cannot_read(organiser, campaign):
    semicolons = "\ufeffName;Public;Notes\nKo Min-jun;Yes;x\n"
    response = organiser.post(import_url(campaign), {"names": upload(semicolons)})
    html = response.content.decode()
    assert "1 added (1 of them public)" in html and "Columns not used: notes" in html
    no_public_column = "name,place\nNam Hyon-u,Musan\n"
    html = organiser.post(import_url(campaign), {"names": upload(no_public_column)}).content
    assert "every name was imported as not public" in html.decode()
    assert RemembranceName.objects.get(name="Nam Hyon-u").public is False
    for bad, message in [
        ("place,date\nTumen,2019\n", "at least &#x27;name&#x27;"),
        ("", "The submitted file is empty"),
        ("name\n김철수\n", "not UTF-8"),
    ]:
        encoding = "euc-kr" if "김" in bad else "utf-8"
        response = organiser.post(import_url(campaign), {"names": upload(bad, encoding=encoding)})
        assert message in response.content.decode(), bad
    assert RemembranceName.objects.filter(campaign=campaign).count() == 14


def test_export_neutralises_formulas_and_round_trips(campaign):
    RemembranceName.objects.create(
        campaign=campaign, name='=HYPERLINK("http://example.org","x")', place="@SUM(A1)"
    )
    out = io.StringIO()
    remembrance.export_csv(remembrance.all_names(campaign), out)
    text = out.getvalue()
    assert text.splitlines()[0] == "name,native_name,date,place,source,public"
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert "\n=" not in text and ",@" not in text
    assert "Kim Chol-su,김철수,2019-03-12,Tumen,Testimony collected by the campaign,yes" in text
    assert "Seo Withheld,서비밀,2022,Tumen,Testimony collected by the campaign,no" in text
    other = make_campaign("copy-2026", "Copy")
    report = remembrance.import_names(other, text)
    assert report.created == 13 and not report.rejected
    copied = [
        (n.name, n.native_name, n.date, n.place, n.public) for n in remembrance.all_names(other)
    ]
    original = [
        (n.name, n.native_name, n.date, n.place, n.public) for n in remembrance.all_names(campaign)
    ]
    assert copied == original


# --- The admin -------------------------------------------------------------------------


def changelist() -> str:
    return reverse("admin:events_remembrancename_changelist")


def test_the_admin_list_with_search_actions_and_export(organiser, campaign):
    response = organiser.get(changelist())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kim Chol-su" in html and "Seo Withheld" in html
    assert page_url(campaign) in html and import_url(campaign) in html
    assert "Mun Chang-ho" not in organiser.get(changelist() + "?q=김철수").content.decode()
    hidden = list(RemembranceName.objects.filter(public=False).values_list("pk", flat=True))
    organiser.post(changelist(), {"action": "mark_public", "_selected_action": hidden})
    assert not RemembranceName.objects.filter(public=False).exists()
    pks = [str(pk) for pk in RemembranceName.objects.values_list("pk", flat=True)[:3]]
    organiser.post(changelist(), {"action": "mark_not_public", "_selected_action": pks})
    assert RemembranceName.objects.filter(public=False).count() == 3
    response = organiser.post(changelist(), {"action": "export_csv", "_selected_action": pks})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="remembrance-snkr-2026.csv"' in response["Content-Disposition"]
    assert len(response.content.decode().splitlines()) == 4


def test_the_admin_list_edits_public_flags_and_order_in_place(organiser, campaign):
    names = list(remembrance.all_names(campaign))
    data = {
        "form-TOTAL_FORMS": str(len(names)),
        "form-INITIAL_FORMS": str(len(names)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, item in enumerate(names):
        data[f"form-{index}-id"] = str(item.pk)
        data[f"form-{index}-position"] = str(item.position)
        if item.public:
            data[f"form-{index}-public"] = "on"
    # Seo Withheld becomes public and moves to the front; Kim Chol-su is withdrawn.
    seo = next(i for i, n in enumerate(names) if n.name == "Seo Withheld")
    kim = next(i for i, n in enumerate(names) if n.name == "Kim Chol-su")
    data[f"form-{seo}-public"] = "on"
    data[f"form-{seo}-position"] = "1"
    del data[f"form-{kim}-public"]
    response = organiser.post(changelist(), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    public = [n.name for n in remembrance.public_names(campaign)]
    assert public[0] == "Seo Withheld" and "Kim Chol-su" not in public


def test_the_admin_shows_each_organiser_only_their_campaigns(organiser, coordinator, campaign):
    other = make_campaign("other-2026", "Another campaign")
    RemembranceName.objects.create(campaign=other, name="Other Campaign Name", public=True)
    html = organiser.get(changelist()).content.decode()
    assert "Other Campaign Name" not in html
    theirs = RemembranceName.objects.get(campaign=other)
    change = reverse("admin:events_remembrancename_change", args=[theirs.pk])
    assert organiser.get(change).status_code in (302, 403, 404)
    assert coordinator.get(changelist()).status_code == 403
    script = reverse("admin:events_readingscript_changelist")
    assert organiser.get(script).status_code == 200
    assert coordinator.get(script).status_code == 403
    add = organiser.get(reverse("admin:events_remembrancename_add")).content.decode()
    assert "Save North Korean Refugees Day" in add and "Another campaign" not in add
