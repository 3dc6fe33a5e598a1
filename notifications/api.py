"""The notification centre's API: the caller's notifications, read one or all."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "read_at", "created_at"]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")
    unread = serializers.IntegerField(help_text="Unread now: 0.")


UNREAD = OpenApiParameter(
    "unread",
    OpenApiTypes.BOOL,
    description="true: only the unread ones; false: only the read ones.",
)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        value = self.request.query_params.get("unread", "").lower()
        unread = {"true": True, "1": True, "false": False, "0": False}.get(value)
        return selectors.notifications_of(user=self.request.user, unread=unread)

    @extend_schema(parameters=[UNREAD])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="notifications_mark_read", request=None, responses=NotificationSerializer
    )
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request, pk=None):
        """Mark one read (again: no change)."""
        notification = self.get_object()
        services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        operation_id="notifications_mark_all_read", request=None, responses=ReadAllSerializer
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every one read."""
        marked = services.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked, "unread": 0})
