"""A stand-in project urlconf for the shell tests: the real shell URLs plus dummy routes for every
URL name the base template reverses (registry, accounts, notify), so templates render before the
lead wires the real apps."""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _stub(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("stub", content_type="text/plain")


registry_patterns = (
    [
        path("projects/", _stub, name="project_list"),
        path("enterprises/", _stub, name="enterprise_list"),
        path("persons/", _stub, name="person_list"),
    ],
    "registry",
)
accounts_patterns = (
    [
        path("login/", LoginView.as_view(), name="login"),
        path("logout/", _stub, name="logout"),
    ],
    "accounts",
)
notify_patterns = ([path("", _stub, name="list")], "notify")

urlpatterns = [
    path("", include("zhujian.shell.urls")),
    path("registry/", include(registry_patterns)),
    path("accounts/", include(accounts_patterns)),
    path("notifications/", include(notify_patterns)),
]
