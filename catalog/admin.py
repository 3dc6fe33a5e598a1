"""Admin of the catalog. Platform staff see everything; shop members who are not staff
see and change only their shops' products and images (config.admin.SellerScopedAdminMixin),
never categories, tags or reviews, which belong to the whole platform. Saves, deletes
and actions go through catalog.services, so that permissions, prices, SKUs, the category
tree cache, ratings and the search words stay as the rest of the site keeps them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalog.exceptions import InvalidImage
from catalog.models import Category, Product, ProductImage, Review, Tag
from catalog.services import (
    PRODUCT_FIELDS,
    category_create,
    category_delete,
    category_update,
    image_validate,
    product_create,
    product_image_add,
    product_image_delete,
    product_image_update,
    product_soft_delete,
    product_update,
    products_set_active,
    review_delete,
    review_update,
    tag_update,
    tags_delete,
)
from core.admin import (
    OptionalSlugForm,
    ServiceAdminMixin,
    StaffOnlyAdminMixin,
    errors_onto,
    fresh,
    plural,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller, seller_shop_ids
from shops.models import Shop

# --- Categories -------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(StaffOnlyAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Saves and deletes go through the services: they refuse cycles and deleting a
    category that still has sub-categories, refresh the search words of its products and
    drop the cached tree."""

    form = OptionalSlugForm
    list_display = ["name", "parent", "position", "product_count", "slug"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "parent", "description", "position", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return (
            super()
            .get_queryset(request)
            .annotate(product_count=Count("products", filter=Q(products__deleted_at__isnull=True)))
        )

    @admin.display(description="products", ordering="product_count")
    def product_count(self, category: Category) -> int:
        return category.product_count

    def save_model(self, request, obj, form, change) -> None:
        data = {
            field: form.cleaned_data[field]
            for field in ("name", "parent", "description", "position")
        }
        if form.cleaned_data.get("slug"):
            data["slug"] = form.cleaned_data["slug"]
        with errors_onto(form):
            if change:
                category_update(category=fresh(obj), data=data, by=request.user)
                return
            created = category_create(data=data, by=request.user)
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj) -> None:
        category_delete(category=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for category in queryset:
            category_delete(category=category, by=request.user)


# --- Tags -------------------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(StaffOnlyAdminMixin, admin.ModelAdmin):
    """A tag's name is part of its products' search words: renaming or deleting a tag
    rewrites them in the same transaction."""

    list_display = ["name", "slug", "product_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, tag: Tag) -> int:
        return tag.product_count

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)  # a new tag names no product yet
            return
        data = {field: form.cleaned_data[field] for field in ("name", "slug")}
        with errors_onto(form):
            tag_update(tag=fresh(obj), data=data, by=request.user)

    def delete_model(self, request, obj) -> None:
        tags_delete(tags=[obj], by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        tags_delete(tags=list(queryset), by=request.user)


# --- Products ---------------------------------------------------------------------------


class InStockFilter(admin.SimpleListFilter):
    title = "in stock"
    parameter_name = "in_stock"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stock_quantity__gt=0)
        if self.value() == "no":
            return queryset.filter(stock_quantity=0)
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted products are left out unless asked for."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "No"), ("yes", "Yes"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "no"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "no"
        if value == "no":
            return queryset.filter(deleted_at__isnull=True)
        if value == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class ProductImageForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ["image", "alt", "position"]
        # The inline is a table: its column headings are no <label>s, so each field
        # carries its name for screen readers (and for finding it by label).
        widgets = {
            "image": forms.ClearableFileInput(attrs={"aria-label": "Image"}),
            "alt": forms.TextInput(attrs={"aria-label": "Alternative text"}),
            "position": forms.NumberInput(attrs={"aria-label": "Position"}),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):
            if self.instance.pk:
                raise ValidationError("To replace an image, delete it and add a new one.")
            try:
                image_validate(image)
            except InvalidImage as error:
                raise ValidationError(error.detail) from error
        return image


class ProductImageInline(SellerScopedAdminMixin, admin.TabularInline):
    """New images are stored by product_image_add, which also queues their thumbnail.
    Sellers manage the images of their shops' products."""

    model = ProductImage
    seller_shop_field = "product__shop"
    seller_can_add = True
    seller_can_change = True
    seller_can_delete = True
    form = ProductImageForm
    fields = ["preview", "image", "alt", "position"]
    readonly_fields = ["preview"]
    extra = 1

    @admin.display(description="preview")
    def preview(self, image: ProductImage) -> str:
        picture = image.thumbnail or image.image
        if not image.pk or not picture:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-height: 80px; max-width: 120px">',
            picture.url,
            image.alt,
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not _deleted(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _deleted(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _deleted(obj)


def _deleted(product: Product | None) -> bool:
    return product is not None and product.is_deleted


def save_images(*, request: HttpRequest, product: Product, formset) -> None:
    formset.save(commit=False)  # works out new_objects, changed_objects, deleted_objects
    rows = {id(row.instance): row for row in formset.forms}
    for image in formset.deleted_objects:
        product_image_delete(user=request.user, image=image)
    for image, _changed in formset.changed_objects:
        with errors_onto(rows[id(image)]):
            product_image_update(
                user=request.user, image=image, alt=image.alt, position=image.position
            )
    for index, image in enumerate(formset.new_objects):
        row = rows[id(image)]
        with errors_onto(row):
            added = product_image_add(
                user=request.user,
                product=product,
                upload=row.cleaned_data["image"],
                alt=row.cleaned_data.get("alt") or "",
            )
        if "position" in row.changed_data:
            product_image_update(
                user=request.user, image=added, position=row.cleaned_data["position"]
            )
        formset.new_objects[index] = added


def _ids_only(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.select_related(None).only("pk")


class ProductForm(forms.ModelForm):
    # min_value puts a negative price's error beside the field, rather than the model
    # constraint's "Constraint ... is violated" above the form; the services check it too.
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "sku" in self.fields:
            self.fields["sku"].required = False
            self.fields["sku"].help_text = "Left empty, one is made up."


@admin.register(Product)
class ProductAdmin(SellerScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Saves go through product_create / product_update (permission, price and SKU rules,
    search words). Products are never deleted here: they may be on orders, so the
    "Soft delete" action hides them, and a soft-deleted product is read-only.

    Sellers add and change their shops' products and run the actions on them; the shop
    field offers only their shops. Their category and tag fields are plain lists: the
    autocomplete asks the category and tag admins, which sellers may not open."""

    form = ProductForm
    seller_shop_field = "shop"
    seller_can_add = True
    seller_can_change = True
    list_display = [
        "name",
        "shop",
        "category",
        "price",
        "stock_quantity",
        "is_active",
        "rating",
        "created_at",
        "deleted",
    ]
    list_select_related = ["shop", "category"]
    list_filter = ["shop", "category", "is_active", InStockFilter, DeletedFilter]
    search_fields = ["name", "sku", "shop__name"]
    autocomplete_fields = ["shop", "category", "tags"]
    fields = [
        "shop",
        "name",
        "slug",
        "category",
        "tags",
        "description",
        "price",
        "currency",
        "sku",
        "stock_quantity",
        "is_active",
        "rating_average",
        "rating_count",
        "deleted_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "slug",
        "currency",
        "rating_average",
        "rating_count",
        "deleted_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductImageInline]
    actions = ["activate_products", "deactivate_products", "soft_delete_products"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("shop")  # a product does not move to another shop
        return readonly

    def get_list_filter(self, request):
        if not is_seller(request):
            return super().get_list_filter(request)
        # All shops' names are not a seller's to read: only the shops of their rows.
        return [
            ("shop", admin.RelatedOnlyFieldListFilter) if name == "shop" else name
            for name in super().get_list_filter(request)
        ]

    def get_autocomplete_fields(self, request):
        return [] if is_seller(request) else super().get_autocomplete_fields(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shop" and is_seller(request):
            kwargs["queryset"] = Shop.objects.filter(pk__in=seller_shop_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags" and is_seller(request):
            kwargs.setdefault(
                "widget", widgets.FilteredSelectMultiple(db_field.verbose_name, is_stacked=False)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if is_seller(request) and len(seller_shop_ids(request)) == 1:
            initial.setdefault("shop", next(iter(seller_shop_ids(request))))
        return initial

    @admin.display(description="rating", ordering="rating_average")
    def rating(self, product: Product) -> str:
        if product.rating_average is None:
            return "—"
        return f"{product.rating_average} ({product.rating_count})"

    @admin.display(description="deleted", boolean=True, ordering="deleted_at")
    def deleted(self, product: Product) -> bool:
        return product.is_deleted

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _deleted(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        cleaned = form.cleaned_data
        data = {field: cleaned[field] for field in PRODUCT_FIELDS if field in cleaned}
        data["sku"] = cleaned.get("sku") or ""
        data["tags"] = [tag.name for tag in cleaned.get("tags") or []]
        with errors_onto(form):
            if change:
                # Only what the person changed: a stale form must not write back the
                # stock (sales made while it was open) or any other field.
                changed = {key: value for key, value in data.items() if key in form.changed_data}
                product_update(user=request.user, product=fresh(obj), data=changed)
                return
            created = product_create(user=request.user, shop=cleaned["shop"], data=data)
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # The product service has saved the tags, with the search words; not form.save_m2m().
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ProductImage:
            save_images(request=request, product=form.instance, formset=formset)
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_active(user=request.user, products=_ids_only(queryset), is_active=True)
        self.message_user(request, f"Activated {plural(count, 'product')}.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_active(
            user=request.user, products=_ids_only(queryset), is_active=False
        )
        self.message_user(request, f"Deactivated {plural(count, 'product')}.", messages.SUCCESS)

    @admin.action(description="Soft delete selected products", permissions=["change"])
    def soft_delete_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = 0
        for product in queryset.filter(deleted_at__isnull=True).select_related("shop"):
            product_soft_delete(user=request.user, product=product)
            count += 1
        self.message_user(
            request,
            f"Soft-deleted {plural(count, 'product')}: hidden everywhere, kept for orders.",
            messages.SUCCESS,
        )


# --- Reviews ----------------------------------------------------------------------------


@admin.register(Review)
class ReviewAdmin(StaffOnlyAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Reviews are written by customers; staff moderate them. Edits and deletes go through
    the services so that the product's rating is recomputed."""

    list_display = ["product", "user_email", "rating", "verified_purchase", "created_at"]
    list_select_related = ["product", "user"]
    list_filter = ["rating", "verified_purchase"]
    search_fields = ["product__name", "user__email", "title", "body"]
    fields = [
        "product",
        "user",
        "rating",
        "title",
        "body",
        "verified_purchase",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["product", "user", "verified_purchase", "created_at", "updated_at"]

    @admin.display(description="user", ordering="user__email")
    def user_email(self, review: Review) -> str:
        return review.user.email

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        data = {field: form.cleaned_data[field] for field in ("rating", "title", "body")}
        with errors_onto(form):
            review_update(user=request.user, review=fresh(obj), data=data)

    def delete_model(self, request, obj) -> None:
        review_delete(user=request.user, review=obj)

    def delete_queryset(self, request, queryset) -> None:
        for review in queryset.select_related("product", "user"):
            review_delete(user=request.user, review=review)
