"""The notification list (站内消息)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhujian.core.web import paginate
from zhujian.notify import selectors, services


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page, querystring = paginate(request, selectors.notifications_for(request.user))
    return render(request, "notify/list.html", {"page": page, "querystring": querystring})


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=request.user)
    return redirect("notify:list")
