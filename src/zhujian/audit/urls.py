from django.urls import path

from zhujian.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail_view, name="trail"),
    path("export/", views.export_view, name="export"),
]
