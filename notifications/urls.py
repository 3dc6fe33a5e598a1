from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="open"),
    path("notifications/read-all/", views.notifications_read_all, name="read_all"),
]
