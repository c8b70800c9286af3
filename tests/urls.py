from django.urls import include, path

from tests import views

urlpatterns = [
    path("render-asset/", views.render_asset),
    path("media/", include("django_static_pipe.urls")),
]
