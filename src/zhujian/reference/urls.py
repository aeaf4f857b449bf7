from django.urls import path

from zhujian.reference import views

app_name = "reference"
urlpatterns = [
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/delete/", views.delete_override, name="calendar_delete"),
]
