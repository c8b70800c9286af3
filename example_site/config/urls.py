from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from gallery import views

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("jinja2/", views.jinja2_page, name="jinja2-page"),
    path("admin/", admin.site.urls),
]

if settings.MONGODB_URI:
    # GridFS uploads, streamed with ETag, Range and conditional requests.
    urlpatterns.append(path("media/", include("django_static_pipe.urls")))
else:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))

if settings.EXAMPLE_SERVE_ASSETS:
    urlpatterns += [
        re_path(r"^cache-forever/(?P<path>.*)$", serve, {"document_root": settings.DJANGO_STATIC_SAVE_PREFIX}),
        re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
    ]
