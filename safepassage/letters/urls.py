"""The letters app's addresses, mounted at the site root (safepassage/urls.py).

The team's letter pages are under /team/<campaign>/letters/; the signer's
personal letter and the published supporting documents are public.
"""

from django.urls import path

from safepassage.letters.views import documents, letterheads, letters, personal, public

app_name = "letters"

_BASE = "team/<slug:campaign>/letters/"

urlpatterns = [
    path(_BASE, letters.index, name="index"),
    path(f"{_BASE}sample/new/", letters.sample_new, name="sample-new"),
    path(f"{_BASE}<int:pk>/fork/", letters.fork, name="fork"),
    path(f"{_BASE}<int:pk>/", letters.edit, name="edit"),
    path(f"{_BASE}<int:pk>/history/", letters.history, name="history"),
    path(f"{_BASE}<int:pk>/v<int:number>/submit/", letters.submit, name="submit"),
    path(f"{_BASE}<int:pk>/v<int:number>/review/", letters.review, name="review"),
    path(f"{_BASE}<int:pk>/v<int:number>/preview.pdf", letters.preview, name="preview"),
    path(f"{_BASE}documents/", documents.documents, name="documents"),
    path(f"{_BASE}documents/<int:pk>/public/", documents.document_public, name="document-public"),
    path(f"{_BASE}documents/<int:pk>/delete/", documents.document_delete, name="document-delete"),
    path(f"{_BASE}letterheads/<int:organisation>/", letterheads.letterheads, name="letterheads"),
    path(
        f"{_BASE}letterheads/<int:organisation>/new/<str:kind>/",
        letterheads.letterhead_new,
        name="letterhead-new",
    ),
    path(
        f"{_BASE}letterheads/<int:organisation>/<int:pk>/",
        letterheads.letterhead_edit,
        name="letterhead-edit",
    ),
    path(
        f"{_BASE}letterheads/<int:organisation>/<int:pk>/preview.pdf",
        letterheads.letterhead_preview,
        name="letterhead-preview",
    ),
]

# Public: the personal letter is linked from the signer's confirmation page, the
# documents from the campaign page and partner websites; their paths stay as they are.
urlpatterns += [
    path("s/<uuid:signature_uuid>/letter/<str:token>/", personal.edit, name="personal"),
    path("c/<slug:campaign>/documents/<int:pk>/", public.document, name="public-document"),
]
