"""The organiser's pages for the reading of names: the list, the script, the CSV import.

Every view here is for the campaign's organisers only: anyone else who is
logged in gets a 404 (the page's existence is not confirmed), anyone not
logged in is sent to the login page. The organiser's page lists every name,
the non-public ones marked; the PDF holds public names only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from safepassage.accounts.permissions import is_organiser
from safepassage.campaigns.models import Campaign
from safepassage.events import remembrance
from safepassage.events.models import ReadingScript

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_WORDS = 20_000


class ScriptForm(forms.Form):
    readers = forms.IntegerField(
        label=_("Number of readers"),
        min_value=remembrance.MIN_READERS,
        max_value=remembrance.MAX_READERS,
        initial=1,
        help_text=_("The public names are shared among them in order, as evenly as possible."),
    )
    opening = forms.CharField(
        label=_("Opening words"),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("On the title page. A blank line starts a new paragraph."),
    )
    closing = forms.CharField(
        label=_("Closing words"),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("After the last reader's names."),
    )


class ImportForm(forms.Form):
    names = forms.FileField(
        label=_("Names (CSV)"),
        help_text=_(
            "Columns: name, native_name, date, place, source, public (yes or no). "
            "UTF-8; the first line names the columns."
        ),
    )

    def clean_names(self) -> str:
        upload = self.cleaned_data["names"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")
            ) from None
        return text


def _organised_campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not is_organiser(request.user, campaign):
        raise Http404
    return campaign


def _readers(value: str | None, default: int = 1) -> int | None:
    """The readers query parameter as a number in range; None if it is not one."""
    if value is None or value == "":
        return default
    try:
        readers = int(value)
    except ValueError:
        return None
    if not remembrance.MIN_READERS <= readers <= remembrance.MAX_READERS:
        return None
    return readers


def _pdf_url(campaign: Campaign, readers: int) -> str:
    return reverse("events:remembrance_pdf", args=[campaign.slug]) + f"?readers={readers}"


def _admin_list_url(campaign: Campaign) -> str:
    url = reverse("admin:events_remembrancename_changelist")
    return f"{url}?campaign__id__exact={campaign.pk}"


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def reading_page(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised_campaign(request, slug)
    script = remembrance.script_for(campaign)
    if request.method == "POST":
        form = ScriptForm(request.POST)
        if form.is_valid():
            ReadingScript.objects.update_or_create(
                campaign=campaign,
                defaults={
                    "opening": form.cleaned_data["opening"].strip(),
                    "closing": form.cleaned_data["closing"].strip(),
                },
            )
            readers = form.cleaned_data["readers"]
            if "pdf" in request.POST:
                return redirect(_pdf_url(campaign, readers))
            messages.success(request, gettext("The opening and closing words are saved."))
            return redirect(
                reverse("events:remembrance", args=[campaign.slug]) + f"?readers={readers}"
            )
        readers = _readers(request.POST.get("readers")) or 1
    else:
        readers = _readers(request.GET.get("readers")) or 1
        form = ScriptForm(
            initial={"readers": readers, "opening": script.opening, "closing": script.closing}
        )
    names = list(remembrance.all_names(campaign))
    public = [item for item in names if item.public]
    context = {
        "campaign": campaign,
        "form": form,
        "names": names,
        "public_count": len(public),
        "readers": readers,
        "parts": remembrance.reading_parts(public, readers),
        "pdf_url": _pdf_url(campaign, readers),
        "admin_url": _admin_list_url(campaign),
    }
    return _private(render(request, "events/remembrance_page.html", context))


@login_required
@require_GET
def reading_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised_campaign(request, slug)
    readers = _readers(request.GET.get("readers"))
    if readers is None:
        return HttpResponseBadRequest(
            gettext("readers must be a whole number from %(min)s to %(max)s.")
            % {"min": remembrance.MIN_READERS, "max": remembrance.MAX_READERS},
            content_type="text/plain; charset=utf-8",
        )
    pdf = remembrance.reading_script_pdf(campaign, readers)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"reading-script-{campaign.slug}-{readers}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return _private(response)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised_campaign(request, slug)
    report: remembrance.ImportReport | None = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = remembrance.import_names(campaign, form.cleaned_data["names"])
        except ValueError as error:
            form.add_error("names", gettext("The file could not be read: %s") % error)
    context = {
        "campaign": campaign,
        "form": form,
        "report": report,
        "columns": remembrance.COLUMNS,
        "admin_url": _admin_list_url(campaign),
    }
    return _private(render(request, "events/remembrance_import.html", context))
