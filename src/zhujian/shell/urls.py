"""The shell's URLs; the project urlconf includes them at the root ("", "module/<slug>/", "healthz")."""

from __future__ import annotations

from django.urls import path

from zhujian.shell import views

app_name = "shell"

urlpatterns = [
    path("", views.home, name="home"),
    path("module/<slug:slug>/", views.module, name="module"),
    path("healthz", views.healthz, name="healthz"),
]
