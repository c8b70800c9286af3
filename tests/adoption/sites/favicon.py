"""Chromium asks every site for /favicon.ico. None of these projects ships one, and django-wiki's
catch-all article URLs would answer with a redirect to its create page: each harness URLconf answers
it first, with no content, so the console of every page stays clean of what no template asked for."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def no_icon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


urlpatterns = [path("favicon.ico", no_icon)]
