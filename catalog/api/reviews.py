"""Reviews: a product's list and new ones, and a review's own page (its author or staff
change it)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import Product, Review
from core.security.throttles import ReviewThrottle

# --- Reviews --------------------------------------------------------------------------


def reviewer_name(user) -> str:
    """First name and the initial of the last name ("Ada L."); never the email address."""
    first = (user.first_name or "").strip()
    initial = (user.last_name or "").strip()[:1].upper()
    if first and initial:
        return f"{first} {initial}."
    return first or (f"{initial}." if initial else _("Anonymous"))


class ReviewerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return reviewer_name(user)


class ReviewSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    user = ReviewerSerializer(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "product_id",
            "user",
            "rating",
            "title",
            "body",
            "verified_purchase",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("product_id", int, OpenApiParameter.PATH)]),
    create=extend_schema(
        parameters=[OpenApiParameter("product_id", int, OpenApiParameter.PATH)],
        request=ReviewInputSerializer,
        responses={201: ReviewSerializer},
    ),
)
class ProductReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A product's reviews: anyone reads; signed-in people who are not members of the
    product's shop write one each."""

    serializer_class = ReviewSerializer
    throttle_classes = [*viewsets.GenericViewSet.throttle_classes, ReviewThrottle]

    def get_product(self) -> Product:
        if not hasattr(self, "_product"):
            self._product = get_object_or_404(
                selectors.product_list_visible(user=self.request.user),
                pk=self.kwargs["product_id"],
            )
        return self._product

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Review.objects.none()
        return selectors.review_list(product=self.get_product())

    def create(self, request, *args, **kwargs):
        product = self.get_product()
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_create(
            user=request.user, product=product, **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One review: its author or platform staff change or delete it."""

    serializer_class = ReviewSerializer
    throttle_classes = [*viewsets.GenericViewSet.throttle_classes, ReviewThrottle]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Review.objects.none()
        # Reviews of products the caller may not see are not there for them either.
        return selectors.review_list_visible(user=self.request.user)

    @extend_schema(request=ReviewInputSerializer(partial=True), responses=ReviewSerializer)
    def partial_update(self, request, *args, **kwargs):
        review = self.get_object()
        serializer = ReviewInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        review = services.review_update(
            user=request.user, review=review, data=serializer.validated_data
        )
        return Response(ReviewSerializer(review).data)

    def destroy(self, request, *args, **kwargs):
        services.review_delete(user=request.user, review=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
