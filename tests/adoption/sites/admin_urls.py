from __future__ import annotations

from django.contrib import admin
from django.urls import path

from django_static_pipe.dev import static_pipe_urlpatterns
from tests.adoption.sites import favicon

urlpatterns = [*favicon.urlpatterns, path("admin/", admin.site.urls)]
urlpatterns += static_pipe_urlpatterns()
