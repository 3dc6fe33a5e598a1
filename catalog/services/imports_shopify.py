"""A shop's catalog from Shopify's product CSV export: one row per variant, the product's
columns on the first row of its handle.

Read: Handle, Title, Body (HTML), Vendor, Type, Tags, Published, Option1 Name ... Option3
Value, Variant SKU, Variant Price, Variant Compare At Price, Variant Inventory Qty, Variant
Grams (the weight, in kg here) and Variant Taxable (FALSE: the exempt tax class). Every
other column is ignored with one warning naming them. Rows that carry only an image
(Shopify writes them for a product's extra pictures) are skipped.

As with our own format, every row is checked first and each problem reported with its
line number; a file with one bad row writes nothing. A good file is written in one
transaction through the product services (product_create / product_update with options
and variants), so that every rule of a product made by hand holds for an imported one.
With `update`, a product of the shop that has one of a handle's SKUs is updated: its
variants become the handle's (matched by SKU), its options the file's.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.exceptions import ProductImportConflict, ProductImportFileInvalid, ProductImportInvalid
from catalog.models import MAX_OPTIONS, MAX_VARIANTS, Category, ProductVariant, Tag
from catalog.services.common import require_manager
from catalog.services.imports import ProductImportError, ProductImportResult
from catalog.services.products import product_create, product_update
from core.errors import DomainValidationError
from shops.models import Shop

SHOPIFY_COLUMNS = (
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    *(f"Option{n} {part}" for n in range(1, MAX_OPTIONS + 1) for part in ("Name", "Value")),
    "Variant SKU",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Inventory Qty",
    "Variant Grams",
    "Variant Taxable",
)
# A product without options is exported with one option "Title" of value "Default Title".
_DEFAULT_OPTION = ("title", "default title")
_VARIANT_COLUMNS = (
    "Variant SKU",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Inventory Qty",
    *(f"Option{n} Value" for n in range(1, MAX_OPTIONS + 1)),
)
_TRUE = {"true", "yes", "1", ""}
_FALSE = {"false", "no", "0"}
_MAX_STOCK = 2_147_483_647


def is_shopify_export(content: bytes) -> bool:
    """Whether the file's first line is Shopify's (its first column is Handle)."""
    first = content[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
    return bool(first) and first[0].split(",")[0].strip().strip('"') == "Handle"


@dataclass
class ShopifyFile:
    rows: list[tuple[int, dict[str, str]]]  # (line, cells by column)
    warnings: list[str] = field(default_factory=list)


def shopify_rows_read(*, content: bytes) -> ShopifyFile:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProductImportFileInvalid(
            _("The file is not UTF-8 text: export it from Shopify again or save it as CSV UTF-8.")
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        missing = [
            column for column in ("Handle", "Title", "Variant Price") if column not in header
        ]
        if missing:
            raise ProductImportFileInvalid(
                _("Line 1 is missing Shopify's column(s) %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        ignored = [column for column in header if column and column not in SHOPIFY_COLUMNS]
        found = ShopifyFile(rows=[])
        if ignored:
            found.warnings.append(
                _("Columns ignored: %(columns)s.") % {"columns": ", ".join(ignored)}
            )
        last_line = reader.line_num
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            cells = dict(zip(header, record, strict=False))
            found.rows.append((line, cells))
    except csv.Error as exc:
        raise ProductImportFileInvalid(
            _("Line %(line)d: %(problem)s.") % {"line": reader.line_num, "problem": exc}
        ) from exc
    return found


@dataclass
class _Handle:
    handle: str
    line: int  # the line of its first row
    data: dict[str, Any]
    variant_lines: list[int] = field(default_factory=list)
    existing_id: int | None = None


def _cell(cells: dict[str, str], column: str) -> str:
    return (cells.get(column) or "").strip()


# What a number's messages say (`noun` of _number): not a number, and below 0.
NUMBER_MESSAGES = {
    "price": (
        gettext_lazy("Enter a price, not “%(text)s”."),
        gettext_lazy("A price is 0 or more."),
    ),
    "weight in grams": (
        gettext_lazy("Enter a weight in grams, not “%(text)s”."),
        gettext_lazy("A weight in grams is 0 or more."),
    ),
}


def _number(text: str, line: int, column: str, errors: list, noun: str) -> Decimal | None:
    """A number of 0 or more written in the cell (thousands separators allowed)."""
    not_a_number, negative = NUMBER_MESSAGES[noun]
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        errors.append(ProductImportError(line, column, str(not_a_number) % {"text": text}))
        return None
    if not value.is_finite() or value < 0:
        errors.append(ProductImportError(line, column, str(negative)))
        return None
    return value


def _money(text: str, line: int, column: str, errors: list) -> str | None:
    value = _number(text, line, column, errors, "price")
    return None if value is None else f"{value:.2f}"


def _categories() -> tuple[dict[str, Category], dict[str, Category]]:
    """Categories by slug and by name (case aside), read once."""
    by_slug, by_name = {}, {}
    for category in Category.objects.only("pk", "slug", "name"):
        by_slug[category.slug] = category
        by_name.setdefault(category.name.strip().lower(), category)
    return by_slug, by_name


def _group(file: ShopifyFile, errors: list[ProductImportError]) -> list[_Handle]:
    """The rows by handle, converted to the product services' input."""
    by_slug, by_name = _categories()
    handles: dict[str, _Handle] = {}
    for line, cells in file.rows:
        handle_name = _cell(cells, "Handle")
        if not handle_name:
            errors.append(
                ProductImportError(line, "Handle", _("Every row needs its product's Handle."))
            )
            continue
        handle = handles.get(handle_name)
        if handle is None:
            handle = handles[handle_name] = _Handle(
                handle_name,
                line,
                _product_data(cells, line, errors, by_slug, by_name, file.warnings),
            )
        if not any(_cell(cells, column) for column in _VARIANT_COLUMNS):
            continue  # an image row
        variant = _variant_data(cells, line, errors, handle)
        if variant is not None:
            handle.data["variants"].append(variant)
            handle.variant_lines.append(line)
    result = list(handles.values())
    for handle in result:
        _options_from_variants(handle, errors)
    return result


def _product_data(cells, line, errors, by_slug, by_name, warnings) -> dict[str, Any]:
    title = _cell(cells, "Title")
    if not title:
        errors.append(
            ProductImportError(line, "Title", _("The first row of a handle needs a Title."))
        )
    description = html.unescape(strip_tags(cells.get("Body (HTML)") or "")).strip()
    tags = [tag.strip() for tag in (cells.get("Tags") or "").split(",") if tag.strip()]
    vendor = _cell(cells, "Vendor")
    if vendor and vendor.lower() not in {tag.lower() for tag in tags}:
        tags.append(vendor)  # the brand, findable and filterable as a tag
    published = _cell(cells, "Published").lower()
    if published not in _TRUE | _FALSE:
        errors.append(ProductImportError(line, "Published", _("Write TRUE or FALSE.")))
    data: dict[str, Any] = {
        "name": title,
        "description": description,
        "tags": [tag[:60] for tag in tags],
        "is_active": published not in _FALSE,
        "variants": [],
        "option_names": [_cell(cells, f"Option{n} Name") for n in range(1, MAX_OPTIONS + 1)],
    }
    kind = _cell(cells, "Type")
    if kind:
        category = by_slug.get(kind) or by_name.get(kind.lower())
        if category is None:
            warnings.append(
                _("Line %(line)d: no category is named “%(name)s”: imported without one.")
                % {"line": line, "name": kind}
            )
        data["category"] = category
    return data


def _variant_data(cells, line, errors, handle: _Handle) -> dict[str, Any] | None:
    count = len(errors)
    variant: dict[str, Any] = {"_line": line, "_values": []}
    sku = _cell(cells, "Variant SKU")
    if sku:
        variant["sku"] = sku[:64]
    price = _cell(cells, "Variant Price")
    if not price:
        errors.append(ProductImportError(line, "Variant Price", _("A variant needs a price.")))
    else:
        variant["price"] = _money(price, line, "Variant Price", errors)
    compare = _cell(cells, "Variant Compare At Price")
    if compare:
        variant["compare_at_price"] = _money(compare, line, "Variant Compare At Price", errors)
    stock = _cell(cells, "Variant Inventory Qty") or "0"
    if not stock.lstrip("-").isdigit():
        errors.append(ProductImportError(line, "Variant Inventory Qty", _("Enter a whole number.")))
    elif int(stock) < 0:
        errors.append(
            ProductImportError(line, "Variant Inventory Qty", _("Stock is 0 or more here."))
        )
    elif int(stock) > _MAX_STOCK:
        errors.append(ProductImportError(line, "Variant Inventory Qty", _("Too large.")))
    else:
        variant["stock_quantity"] = int(stock)
    grams = _cell(cells, "Variant Grams")
    if grams:  # Shopify weighs in grams; shipping here in kg
        weight = _number(grams, line, "Variant Grams", errors, "weight in grams")
        if weight is not None:
            variant["weight_kg"] = f"{weight / 1000:.3f}"
    taxable = _cell(cells, "Variant Taxable").lower()
    if taxable not in _TRUE | _FALSE:
        errors.append(ProductImportError(line, "Variant Taxable", _("Write TRUE or FALSE.")))
    elif taxable in _FALSE:
        variant["tax_class"] = "exempt"  # Shopify's "charge tax" unticked
    variant["_values"] = [_cell(cells, f"Option{n} Value") for n in range(1, MAX_OPTIONS + 1)]
    return variant if len(errors) == count else None


def _options_from_variants(handle: _Handle, errors: list[ProductImportError]) -> None:
    """The handle's options (names from its first row, values in order of appearance)
    and each variant's {name: value}."""
    names = handle.data.pop("option_names")
    variants = handle.data["variants"]
    if not variants:
        errors.append(ProductImportError(handle.line, "", _("This handle has no variant rows.")))
        return
    if len(variants) > MAX_VARIANTS:
        errors.append(
            ProductImportError(
                handle.line,
                "",
                _("A product has at most %(count)d variants.") % {"count": MAX_VARIANTS},
            )
        )
    used = [index for index, name in enumerate(names) if name]
    default = (
        len(used) == 1
        and names[0].lower() == _DEFAULT_OPTION[0]
        and all(v["_values"][0].lower() in ("", _DEFAULT_OPTION[1]) for v in variants)
    )
    options: list[dict[str, Any]] = []
    if not default:
        for index in used:
            values: list[str] = []
            for variant in variants:
                value = variant["_values"][index]
                if not value:
                    errors.append(
                        ProductImportError(
                            variant["_line"],
                            f"Option{index + 1} Value",
                            # Translators: the name of an option, e.g. "Give a Size."
                            _("Give a %(option)s.") % {"option": names[index]},
                        )
                    )
                elif value.lower() not in {v.lower() for v in values}:
                    values.append(value)
            options.append({"name": names[index], "values": values})
    for variant in variants:
        values = variant.pop("_values")
        variant["options"] = (
            {} if default else {names[index]: values[index] for index in used if values[index]}
        )
    handle.data["options"] = options


def shopify_import(
    *,
    shop: Shop,
    file: ShopifyFile,
    user: User | None = None,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ProductImportResult:
    """Create (and with `update`, change) `shop`'s products from a Shopify export. Any
    bad row raises ProductImportInvalid listing every problem by line; nothing is
    written then. `user` must manage the shop; None is a trusted caller."""
    if user is not None:
        require_manager(user=user, shop=shop)
    errors: list[ProductImportError] = []
    handles = _group(file, errors)
    _match_existing(shop, handles, update, errors)
    if errors:
        raise ProductImportInvalid(sorted(errors, key=lambda error: error.line))
    result = ProductImportResult(
        rows=sum(len(handle.variant_lines) for handle in handles), dry_run=dry_run
    )
    result.created = sum(1 for handle in handles if handle.existing_id is None)
    result.updated = len(handles) - result.created
    tags_before = Tag.objects.count()
    try:
        with transaction.atomic():
            for handle in handles:
                product = _write(shop, handle, user)
                result.product_ids.append(product.pk)
                if progress is not None:
                    progress(len(handle.variant_lines))
            result.tags_created = Tag.objects.count() - tags_before
            if dry_run:
                raise _DryRun()
    except _DryRun:
        result.product_ids = []
    except IntegrityError as exc:
        raise ProductImportConflict() from exc
    return result


class _DryRun(Exception):
    """Undoes a dry run's writes: every rule ran, nothing stays."""


def _match_existing(shop: Shop, handles: list[_Handle], update: bool, errors: list) -> None:
    skus = {v["sku"]: h for h in handles for v in h.data["variants"] if v.get("sku")}
    found = dict(
        ProductVariant.objects.filter(shop=shop, deleted_at=None, sku__in=list(skus)).values_list(
            "sku", "product_id"
        )
    )
    seen: dict[str, int] = {}
    for handle in handles:
        for variant, line in zip(handle.data["variants"], handle.variant_lines, strict=True):
            sku = variant.get("sku")
            if not sku:
                continue
            if sku in seen:
                errors.append(
                    ProductImportError(
                        line,
                        "Variant SKU",
                        _("SKU %(sku)s is also on line %(line)d.")
                        % {"sku": sku, "line": seen[sku]},
                    )
                )
                continue
            seen[sku] = line
            product_id = found.get(sku)
            if product_id is None:
                continue
            if not update:
                errors.append(
                    ProductImportError(
                        line,
                        "Variant SKU",
                        _(
                            "This shop already has a product with SKU %(sku)s "
                            "(--update changes existing products)."
                        )
                        % {"sku": sku},
                    )
                )
            elif handle.existing_id not in (None, product_id):
                errors.append(
                    ProductImportError(
                        line,
                        "Variant SKU",
                        _("This handle's SKUs belong to two of the shop's products."),
                    )
                )
            else:
                handle.existing_id = product_id
                variant["_id_by_sku"] = True


def _write(shop: Shop, handle: _Handle, user: User | None):
    data = dict(handle.data)
    lines = handle.variant_lines
    try:
        if handle.existing_id is None:
            for variant in data["variants"]:
                variant.pop("_line", None)
            return product_create(user=user, shop=shop, data=data)
        from catalog.models import Product

        product = Product.objects.select_related("shop").get(pk=handle.existing_id)
        ids = dict(
            ProductVariant.objects.filter(product=product, deleted_at=None).values_list("sku", "pk")
        )
        for variant in data["variants"]:
            variant.pop("_line", None)
            if variant.pop("_id_by_sku", False):
                variant["id"] = ids[variant["sku"]]
        return product_update(user=user, product=product, data=data)
    except DomainValidationError as error:
        raise ProductImportInvalid(_errors_at(error, handle, lines)) from error


def _errors_at(error: DomainValidationError, handle: _Handle, lines: list[int]):
    """A service's refusal, on the line of the row it names (`variants.2.sku`)."""
    found = []
    for key, messages in (error.extra.get("fields") or {"": [error.detail]}).items():
        parts = key.split(".")
        line, column = handle.line, key
        if parts[0] == "variants" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            line = lines[index] if index < len(lines) else handle.line
            column = {
                "sku": "Variant SKU",
                "price": "Variant Price",
                "compare_at_price": "Variant Compare At Price",
                "stock_quantity": "Variant Inventory Qty",
                "weight_kg": "Variant Grams",
                "tax_class": "Variant Taxable",
                "options": "Option1 Value",
            }.get(parts[2] if len(parts) > 2 else "", "")
        found += [ProductImportError(line, column, message) for message in messages]
    return found
