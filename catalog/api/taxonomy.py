"""Categories (a flat list and the tree) and tags: anyone reads; platform staff with the
category permissions write."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import caching, policies, selectors, services
from catalog.models import Category, Tag
from core.permissions import PolicyPermission
from core.rendering import json_bytes, json_response

# --- Permissions ----------------------------------------------------------------------


class CategoryPermission(PolicyPermission):
    """Anyone reads; platform staff with Django's add/change/delete_category write."""

    reads_open = True
    ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        action = self.ACTIONS.get(request.method, "change")
        return bool(
            request.user
            and request.user.is_authenticated
            and policies.may_manage_categories(request.user, action)
        )


# --- Categories and tags --------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    """A category of the flat list: `parent` and `children` are ids."""

    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = [
            "id",
            "name",
            "slug",
            "parent",
            "children",
            "description",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_children(self, category: Category) -> list[int]:
        return [child.pk for child in category.children.all()]


class CategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(max_length=140, required=False)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    description = serializers.CharField(required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, required=False)


class CategoryNodeSerializer(serializers.Serializer):
    """A node of the category tree: the category and, nested, the ones below it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    position = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        fields["children"] = CategoryNodeSerializer(many=True)
        return fields


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class CategoryViewSet(viewsets.ModelViewSet):
    """Categories as a flat, paginated list with `parent` and `children` ids.

    Anyone reads; platform staff create, change and delete them.
    """

    permission_classes = [CategoryPermission]
    serializer_class = CategorySerializer

    def get_queryset(self):
        return selectors.category_list()

    @extend_schema(request=CategoryInputSerializer, responses={201: CategorySerializer})
    def create(self, request, *args, **kwargs):
        serializer = CategoryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(data=serializer.validated_data, by=request.user)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CategoryInputSerializer, responses=CategorySerializer)
    def update(self, request, *args, **kwargs):
        category = self.get_object()
        serializer = CategoryInputSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        category = services.category_update(
            category=category, data=serializer.validated_data, by=request.user
        )
        return Response(CategorySerializer(self.get_queryset().get(pk=category.pk)).data)

    @extend_schema(request=CategoryInputSerializer, responses=CategorySerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.category_delete(category=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryTreeView(APIView):
    """The whole category tree, roots first with their `children` nested; not paginated."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=CategoryNodeSerializer(many=True))
    def get(self, request):
        # Rendered once per taxonomy generation (catalog.caching), from the database:
        # serialising 200 nested nodes took longer than everything else of the request.
        content = caching.taxonomy_read(
            key="catalog:category-tree:json",
            build=lambda: json_bytes(
                CategoryNodeSerializer(selectors.category_tree_build(), many=True).data
            ),
        )
        return json_response(request, content)


class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.AllowAny]
    serializer_class = TagSerializer

    def get_queryset(self):
        return selectors.tag_list()
