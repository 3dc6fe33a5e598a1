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
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import InvalidImage
from catalog.models import Category, Product, ProductImage, ProductVariant, Review, Tag
from catalog.selectors import product_options, variants_live
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
    product_options_set,
    product_soft_delete,
    product_update,
    products_set_active,
    review_delete,
    review_update,
    tag_update,
    tags_delete,
    variant_delete,
    variant_update,
    variants_generate,
)
from core.admin import (
    OptionalSlugForm,
    ServiceAdminMixin,
    StaffOnlyAdminMixin,
    errors_onto,
    fresh,
)
from shops.admin_scoping import SellerScopedAdminMixin, is_seller, seller_shop_ids
from shops.models import Shop
from taxes.models import TaxClass

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

    @admin.display(description=_("products"), ordering="product_count")
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

    @admin.display(description=_("products"), ordering="product_count")
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
    title = _("in stock")
    parameter_name = "in_stock"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stock_quantity__gt=0)
        if self.value() == "no":
            return queryset.filter(stock_quantity=0)
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted products are left out unless asked for."""

    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("No")), ("yes", _("Yes")), ("all", _("All"))]

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
            "image": forms.ClearableFileInput(attrs={"aria-label": _("Image")}),
            "alt": forms.TextInput(attrs={"aria-label": _("Alternative text")}),
            "position": forms.NumberInput(attrs={"aria-label": _("Position")}),
            "weight_kg": forms.NumberInput(attrs={"aria-label": _("Weight (kg)"), "step": "0.001"}),
            "tax_class": forms.Select(attrs={"aria-label": _("Tax class")}),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):
            if self.instance.pk:
                raise ValidationError(gettext("To replace an image, delete it and add a new one."))
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

    @admin.display(description=_("preview"))
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


class ProductVariantForm(forms.ModelForm):
    class Meta:
        model = ProductVariant
        fields = [
            "sku",
            "price",
            "compare_at_price",
            "stock_quantity",
            "image",
            "is_active",
            "position",
            "weight_kg",
            "tax_class",
        ]
        widgets = {
            "sku": forms.TextInput(attrs={"aria-label": _("SKU"), "size": 14}),
            "price": forms.NumberInput(attrs={"aria-label": _("Price"), "step": "0.01"}),
            "compare_at_price": forms.NumberInput(
                attrs={"aria-label": _("Regular price"), "step": "0.01"}
            ),
            "stock_quantity": forms.NumberInput(attrs={"aria-label": _("Stock")}),
            "position": forms.NumberInput(attrs={"aria-label": _("Position")}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "image" in self.fields and self.instance.product_id:
            self.fields["image"].queryset = ProductImage.objects.filter(
                product_id=self.instance.product_id
            )

    def _post_clean(self) -> None:
        # The services validate (SKUs unique per shop, prices); the model's own
        # full_clean would ask for the shop and product the inline does not show.
        return


class ProductVariantInline(SellerScopedAdminMixin, admin.TabularInline):
    """The product's live variants, edited in one table (bulk prices and stock) and saved
    through variant_update / variant_delete. New combinations come from the product's
    options (saving them, or the "Generate all combinations" action)."""

    model = ProductVariant
    form = ProductVariantForm
    seller_shop_field = "shop"
    seller_can_change = True
    seller_can_delete = True
    fields = ["options_text", *ProductVariantForm.Meta.fields]
    readonly_fields = ["options_text"]
    extra = 0
    verbose_name_plural = _("variants")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _deleted(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _deleted(obj)

    @admin.display(description=_("options"))
    def options_text(self, variant: ProductVariant) -> str:
        return variant.options_text or "—"


def variant_changes(form: forms.BaseForm) -> dict[str, Any]:
    """What a variant form changed, as variant_update's input (the image by its id)."""
    data = {name: form.cleaned_data[name] for name in form.changed_data if name != "image"}
    if "image" in form.changed_data:
        image = form.cleaned_data["image"]
        data["image_id"] = image.pk if image else None
    return data


def save_variants(*, request: HttpRequest, formset) -> None:
    formset.save(commit=False)
    rows = {id(row.instance): row for row in formset.forms}
    for variant, _changed in formset.changed_objects:
        row = rows[id(variant)]
        with errors_onto(row):
            variant_update(user=request.user, variant=fresh(variant), data=variant_changes(row))
    for variant in formset.deleted_objects:
        with errors_onto(rows[id(variant)]):
            variant_delete(user=request.user, variant=fresh(variant))


@admin.register(ProductVariant)
class ProductVariantAdmin(SellerScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Every variant in one list, for bulk price and stock edits across products (the
    list's editable columns); saves go through variant_update. Variants are made on
    their product's page."""

    seller_shop_field = "shop"
    seller_can_change = True
    list_display = [
        "sku",
        "product",
        "options_text",
        "price",
        "compare_at_price",
        "stock_quantity",
        "is_active",
    ]
    list_display_links = ["sku"]
    list_editable = ["price", "compare_at_price", "stock_quantity", "is_active"]
    list_select_related = ["product", "shop"]
    list_filter = ["shop", "is_active"]
    search_fields = ["sku", "product__name", "options_text"]
    fields = ["product", "options_text", *ProductVariantForm.Meta.fields]
    readonly_fields = ["product", "options_text"]
    form = ProductVariantForm
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def get_list_filter(self, request):
        if not is_seller(request):
            return super().get_list_filter(request)
        return [("shop", admin.RelatedOnlyFieldListFilter), "is_active"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        with errors_onto(form):
            variant_update(user=request.user, variant=fresh(obj), data=variant_changes(form))


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


def options_as_text(product: Product | None) -> str:
    """The product's options as the admin's text: one line per option, "Size: S, M, L"."""
    if product is None or product.pk is None:
        return ""
    return "\n".join(
        f"{option.name}: {', '.join(value.value for value in option.values.all())}"
        for option in product_options(product.pk)
    )


def options_from_text(text: str) -> list[dict[str, Any]]:
    """The admin's options text as the services' `[{name, values}]`."""
    options = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, values = line.partition(":")
        if not colon:
            raise ValidationError(
                gettext("Line %(number)d: write an option as “Name: value, value, ...”.")
                % {"number": number}
            )
        options.append(
            {"name": name.strip(), "values": [v.strip() for v in values.split(",") if v.strip()]}
        )
    return options


class ProductForm(forms.ModelForm):
    """A product's own fields, its options, and for a product with one variant that
    variant's price, SKU and stock (a product with several edits them in the table of
    variants)."""

    # min_value puts a negative price's error beside the field, rather than the model
    # constraint's "Constraint ... is violated" above the form; the services check it too.
    price = forms.DecimalField(label=_("Price"), max_digits=12, decimal_places=2, min_value=0)
    sku = forms.CharField(
        label=_("SKU"), max_length=64, required=False, help_text=_("Left empty, one is made up.")
    )
    stock_quantity = forms.IntegerField(
        label=_("Stock quantity"), min_value=0, max_value=2**31 - 1, initial=0
    )
    option_lines = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One option per line, its values after a colon: “Size: S, M, L”. Saving makes "
            "a variant of every new combination (at the lowest price, no stock) and removes "
            "the variants whose value is gone."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.instance if self.instance.pk else None
        if "tax_class" in self.fields:
            self.fields["tax_class"].required = False
        self.fields["option_lines"].initial = options_as_text(product)
        if product is None:
            return
        variants = list(variants_live(product)[:2])
        if len(variants) == 1:
            variant = variants[0]
            self.fields["price"].initial = variant.price
            self.fields["sku"].initial = variant.sku
            self.fields["stock_quantity"].initial = variant.stock_quantity
        else:
            for name in ("price", "sku", "stock_quantity"):
                self.fields.pop(name, None)

    def clean_option_lines(self):
        return options_from_text(self.cleaned_data.get("option_lines") or "")

    def clean_tax_class(self):
        """Left out (a form that does not show it): the product's class, or standard."""
        chosen = self.cleaned_data.get("tax_class")
        return chosen or (self.instance.tax_class if self.instance.pk else TaxClass.STANDARD)


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
        "price_shown",
        "variant_count",
        "stock_quantity",
        "is_active",
        "rating",
        "created_at",
        "deleted",
    ]
    list_select_related = ["shop", "category"]
    list_filter = ["shop", "category", "is_active", InStockFilter, DeletedFilter]
    search_fields = ["name", "variants__sku", "shop__name"]
    autocomplete_fields = ["shop", "category", "tags"]
    fields = [
        "shop",
        "name",
        "slug",
        "category",
        "tags",
        "description",
        "option_lines",
        "price",
        "currency",
        "sku",
        "stock_quantity",
        "is_active",
        "tax_class",
        "weight_kg",
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
    actions = [
        "activate_products",
        "deactivate_products",
        "generate_variants",
        "soft_delete_products",
    ]

    def _has_variants(self, obj) -> bool:
        """Several live variants: priced and stocked in the table of variants."""
        if obj is None or obj.pk is None:
            return False
        if not hasattr(obj, "_live_variant_count"):
            obj._live_variant_count = variants_live(obj).count()
        return obj._live_variant_count > 1

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._has_variants(obj):
            fields = [f for f in fields if f not in ("price", "sku", "stock_quantity")]
        return fields

    def get_inlines(self, request, obj):
        # A product with one variant edits it in the form's price, SKU and stock fields.
        return (
            [ProductImageInline, ProductVariantInline]
            if self._has_variants(obj)
            else [ProductImageInline]
        )

    # What the read-only page (a soft-deleted product) shows for the form-only fields.
    @admin.display(description=_("SKU"))
    def sku(self, product: Product) -> str:
        return ", ".join(variants_live(product).values_list("sku", flat=True)) or "—"

    @admin.display(description=_("options"))
    def option_lines(self, product: Product) -> str:
        return options_as_text(product) or "—"

    @admin.display(description=_("price"), ordering="price")
    def price_shown(self, product: Product) -> str:
        if product.has_price_range:
            return f"{product.price} to {product.price_max}"
        return str(product.price)

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

    @admin.display(description=_("rating"), ordering="rating_average")
    def rating(self, product: Product) -> str:
        if product.rating_average is None:
            return "—"
        return f"{product.rating_average} ({product.rating_count})"

    @admin.display(description=_("deleted"), boolean=True, ordering="deleted_at")
    def deleted(self, product: Product) -> bool:
        return product.is_deleted

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _deleted(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        cleaned = form.cleaned_data
        data = {field: cleaned[field] for field in PRODUCT_FIELDS if field in cleaned}
        for field in ("price", "sku", "stock_quantity"):
            if field in form.fields:
                data[field] = cleaned.get(field)
        data["sku"] = data.get("sku") or ""
        data["tags"] = [tag.name for tag in cleaned.get("tags") or []]
        with errors_onto(form):
            if change:
                # Only what the person changed: a stale form must not write back the
                # stock (sales made while it was open) or any other field.
                changed = {key: value for key, value in data.items() if key in form.changed_data}
                if changed.get("sku") == "":
                    changed.pop("sku")
                product_update(user=request.user, product=fresh(obj), data=changed)
                return
            created = product_create(
                user=request.user,
                shop=cleaned["shop"],
                data=data,
            )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # The product service has saved the tags, with the search words; not form.save_m2m().
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        # The options last: the variants' table above was of the options as they were.
        if "option_lines" in form.changed_data:
            with errors_onto(form, options="option_lines"):
                product_options_set(
                    user=request.user,
                    product=form.instance,
                    options=form.cleaned_data["option_lines"],
                    stock_quantity=0 if change else form.cleaned_data.get("stock_quantity") or 0,
                )

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ProductImage:
            save_images(request=request, product=form.instance, formset=formset)
            return
        if formset.model is ProductVariant:
            save_variants(request=request, formset=formset)
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("Generate all combinations of options"), permissions=["change"])
    def generate_variants(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        added = 0
        for product in queryset.filter(deleted_at__isnull=True):
            added += variants_generate(user=request.user, product=product)
        self.message_user(
            request,
            ngettext(
                "Added %(count)d variant (no stock yet).",
                "Added %(count)d variants (no stock yet).",
                added,
            )
            % {"count": added},
            messages.SUCCESS,
        )

    @admin.action(description=_("Activate selected products"), permissions=["change"])
    def activate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_active(user=request.user, products=_ids_only(queryset), is_active=True)
        self.message_user(
            request,
            ngettext("Activated %(count)d product.", "Activated %(count)d products.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate selected products"), permissions=["change"])
    def deactivate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = products_set_active(
            user=request.user, products=_ids_only(queryset), is_active=False
        )
        self.message_user(
            request,
            ngettext("Deactivated %(count)d product.", "Deactivated %(count)d products.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Soft delete selected products"), permissions=["change"])
    def soft_delete_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        count = 0
        for product in queryset.filter(deleted_at__isnull=True).select_related("shop"):
            product_soft_delete(user=request.user, product=product)
            count += 1
        self.message_user(
            request,
            ngettext(
                "Soft-deleted %(count)d product: hidden everywhere, kept for orders.",
                "Soft-deleted %(count)d products: hidden everywhere, kept for orders.",
                count,
            )
            % {"count": count},
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

    @admin.display(description=_("user"), ordering="user__email")
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
