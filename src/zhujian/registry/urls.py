from django.urls import path

from zhujian.registry import views

app_name = "registry"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/participants/", views.participant_add, name="participant_add"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:enterprise_id>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:enterprise_id>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path(
        "enterprises/<int:enterprise_id>/qualifications/", views.qualification_add, name="qualification_add"
    ),
    path("enterprises/<int:enterprise_id>/licenses/", views.license_add, name="license_add"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<int:person_id>/certificates/", views.certificate_add, name="certificate_add"),
    path("qualifications/<int:qualification_id>/scans/", views.qualification_scan, name="qualification_scan"),
    path("certificates/<int:certificate_id>/scans/", views.certificate_scan, name="certificate_scan"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("projects/export.<str:fmt>", views.project_export, name="project_export"),
    path("enterprises/export.<str:fmt>", views.enterprise_export, name="enterprise_export"),
]
