from django.urls import path

from tests import views

urlpatterns = [
    path("render-asset/", views.render_asset),
]
