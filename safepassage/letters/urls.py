"""The team's letter pages, under /team/<campaign>/letters/."""

from django.urls import path

from safepassage.letters import views

app_name = "letters"

_BASE = "team/<slug:campaign>/letters/"

urlpatterns = [
    path(_BASE, views.index, name="index"),
    path(f"{_BASE}sample/new/", views.sample_new, name="sample-new"),
    path(f"{_BASE}<int:pk>/fork/", views.fork, name="fork"),
    path(f"{_BASE}<int:pk>/", views.edit, name="edit"),
    path(f"{_BASE}<int:pk>/history/", views.history, name="history"),
    path(f"{_BASE}<int:pk>/v<int:number>/submit/", views.submit, name="submit"),
    path(f"{_BASE}<int:pk>/v<int:number>/review/", views.review, name="review"),
    path(f"{_BASE}<int:pk>/v<int:number>/preview.pdf", views.preview, name="preview"),
    path(f"{_BASE}documents/", views.documents, name="documents"),
    path(f"{_BASE}documents/<int:pk>/public/", views.document_public, name="document-public"),
    path(f"{_BASE}documents/<int:pk>/delete/", views.document_delete, name="document-delete"),
    path(f"{_BASE}letterheads/<int:organisation>/", views.letterheads, name="letterheads"),
    path(
        f"{_BASE}letterheads/<int:organisation>/new/<str:kind>/",
        views.letterhead_new,
        name="letterhead-new",
    ),
    path(
        f"{_BASE}letterheads/<int:organisation>/<int:pk>/",
        views.letterhead_edit,
        name="letterhead-edit",
    ),
    path(
        f"{_BASE}letterheads/<int:organisation>/<int:pk>/preview.pdf",
        views.letterhead_preview,
        name="letterhead-preview",
    ),
]
