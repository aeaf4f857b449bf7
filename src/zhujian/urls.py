from django.contrib import admin
from django.urls import include, path

from zhujian.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("zhujian.accounts.urls")),
    path("audit/", include("zhujian.audit.urls")),
    path("registry/", include("zhujian.registry.urls")),
    path("notifications/", include("zhujian.notify.urls")),
    path("reference/", include("zhujian.reference.urls")),
    path("", include("zhujian.shell.urls")),
]
