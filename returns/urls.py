from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("request/<uuid:order_id>/", views.request_return, name="request"),
]
