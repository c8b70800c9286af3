from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import include, path
from rest_framework import routers, serializers, viewsets

from django_static_pipe.dev import static_pipe_urlpatterns
from tests.adoption.sites import favicon


class GroupSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = Group
        fields = ("url", "name")


class GroupViewSet(viewsets.ModelViewSet):
    queryset = Group.objects.order_by("pk")
    serializer_class = GroupSerializer


router = routers.DefaultRouter()
router.register("groups", GroupViewSet)

urlpatterns = [*favicon.urlpatterns, path("api/", include(router.urls))]
urlpatterns += static_pipe_urlpatterns()
