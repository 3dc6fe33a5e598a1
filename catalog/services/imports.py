"""A shop's products imported from CSV: every row checked first, then all written in one
transaction."""

from __future__ import annotations

import csv
import dataclasses
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.caching import shops_changed
from catalog.exceptions import (
    ProductImportConflict,
    ProductImportFileInvalid,
    ProductImportInvalid,
)
from catalog.models import Category, Product, ProductVariant, Tag
from catalog.services.common import require_manager, validate_money
from catalog.services.products import catalog_currency
from catalog.services.search import product_search_index_update
from catalog.services.stock import variants_low_stock_reset
from catalog.services.tags import tags_get_or_create
from catalog.services.variants import products_summary_refresh
from core.errors import DomainValidationError
from shops.models import Shop

# --- Import ----------------------------------------------------------------------------
# A CSV file of products for one shop (`manage.py import_products`): every row is checked
# first and every problem reported with its line number; only a file without a single bad
# row is written, all of it in one transaction. Products are written in bulk (the
# per-product services would take minutes for thousands of rows), with their search words
# rewritten in the same transaction as product_create does. A row is a product with one
# variant, named by the variant's SKU; a row whose SKU is a variant of an existing
# product (with --update) changes that variant's price and stock and the product's own
# fields.

IMPORT_COLUMNS = (
    "name",
    "description",
    "price",
    "stock_quantity",
    "sku",
    "category",
    "tags",
    "is_active",
)
IMPORT_REQUIRED_COLUMNS = ("name", "price", "stock_quantity", "sku")
IMPORT_TAG_SEPARATOR = ";"
IMPORT_BATCH_SIZE = 500
_IMPORT_TRUE = {"1", "true", "yes", "y", "on"}
_IMPORT_FALSE = {"0", "false", "no", "n", "off"}
_MAX_STOCK = 2_147_483_647  # PositiveIntegerField's ceiling on every database


@dataclass(frozen=True)
class ProductImportRow:
    """One data row of an import file: its first line's number and its cells by column;
    `problem` says why a row could not be split into the columns."""

    line: int
    values: dict[str, str]
    problem: str = ""


@dataclass(frozen=True)
class ProductImportError:
    line: int
    field: str  # a column, or "" when the whole row is at fault
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: {self.field}: " if self.field else f"line {self.line}: "
        return where + self.message


@dataclass
class ProductImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # existing products the file leaves as they are (not rewritten)
    tags_created: int = 0
    dry_run: bool = False
    product_ids: list[int] = dataclasses.field(default_factory=list)  # written ones


@dataclass
class _ImportPlan:
    line: int
    sku: str
    values: dict[str, Any]  # model field -> value, only the columns the file has
    tags: list[str] | None  # None: the file has no tags column
    product: Product | None = None  # the product to update (or, once written, created)
    variant: ProductVariant | None = None  # the variant the SKU names
    is_new: bool = True
    changed: bool = True  # an existing product the row changes


def _import_columns_error(detail: str) -> ProductImportFileInvalid:
    required = ", ".join(IMPORT_REQUIRED_COLUMNS)
    optional = ", ".join(c for c in IMPORT_COLUMNS if c not in IMPORT_REQUIRED_COLUMNS)
    return ProductImportFileInvalid(
        _(
            "%(problem)s The first line must name the columns, separated by commas: "
            "%(required)s (required) and any of %(optional)s."
        )
        % {"problem": detail, "required": required, "optional": optional}
    )


def product_import_rows_read(*, content: bytes) -> list[ProductImportRow]:
    """Split a UTF-8 CSV file (a byte order mark is allowed) into rows by column name.
    A file that is not UTF-8 or whose first line does not name the columns raises
    ProductImportFileInvalid; blank lines are skipped."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ProductImportFileInvalid(
            _(
                "The file is not UTF-8 text (byte 0x%(byte)s on line %(line)d): "
                "save it as “CSV UTF-8” and try again."
            )
            % {"byte": f"{content[exc.start]:02x}", "line": line}
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise _import_columns_error(_("The file is empty or its first line is blank."))
        columns = [cell.strip().lower() for cell in header]
        unknown = [c for c in columns if c not in IMPORT_COLUMNS]
        missing = [c for c in IMPORT_REQUIRED_COLUMNS if c not in columns]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        problems = []
        # Translators: the parts of "Line 1 has %(problems)s.", joined with "; ".
        if unknown:
            problems.append(
                _("unknown column(s) %(columns)s") % {"columns": ", ".join(map(repr, unknown))}
            )
        if missing:
            problems.append(_("missing column(s) %(columns)s") % {"columns": ", ".join(missing)})
        if repeated:
            problems.append(_("repeated column(s) %(columns)s") % {"columns": ", ".join(repeated)})
        if problems:
            raise _import_columns_error(
                _("Line 1 has %(problems)s.") % {"problems": "; ".join(problems)}
            )
        rows: list[ProductImportRow] = []
        last_line = reader.line_num
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                rows.append(
                    ProductImportRow(
                        line=line,
                        values={},
                        problem=_("expected %(expected)d values, found %(found)d.")
                        % {"expected": len(columns), "found": len(record)},
                    )
                )
                continue
            rows.append(ProductImportRow(line=line, values=dict(zip(columns, record, strict=True))))
    except csv.Error as exc:
        raise ProductImportFileInvalid(
            _("Line %(line)d: %(problem)s.") % {"line": reader.line_num, "problem": exc}
        ) from exc
    return rows


# What a row writes on the variant its SKU names; the rest is the product's.
_VARIANT_COLUMNS = ("price", "stock_quantity")


def _field_messages(name: str, value: Any) -> list[str]:
    """The model field's own validators (lengths, digits) on an already converted value."""
    from django.core.exceptions import ValidationError

    model = ProductVariant if name in (*_VARIANT_COLUMNS, "sku") else Product
    try:
        model._meta.get_field(name).run_validators(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


class _CategoryFinder:
    """Categories by slug, or else by name (case-insensitive), loaded once."""

    def __init__(self) -> None:
        self.by_slug: dict[str, int] = {}
        self.by_name: dict[str, list[Category]] = {}
        for category in Category.objects.only("id", "slug", "name"):
            self.by_slug[category.slug] = category.pk
            self.by_name.setdefault(category.name.strip().lower(), []).append(category)

    def find(self, value: str) -> tuple[int | None, str]:
        if value in self.by_slug:
            return self.by_slug[value], ""
        named = self.by_name.get(value.lower(), [])
        if len(named) == 1:
            return named[0].pk, ""
        if named:
            slugs = ", ".join(category.slug for category in named)
            return None, _(
                "Several categories are named “%(name)s”: give one's slug (%(slugs)s)."
            ) % {"name": value, "slugs": slugs}
        return None, _("No category has the slug or name “%(name)s”.") % {"name": value}


def _import_row_validate(
    row: ProductImportRow, *, categories: _CategoryFinder
) -> tuple[_ImportPlan | None, list[tuple[str, str]]]:
    """A row's values converted to model values, or its problems as (column, message)."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    cells = {column: value.strip() for column, value in row.values.items()}

    name = cells["name"]
    if not name:
        errors.append(("name", _("A product needs a name.")))
    else:
        errors += [("name", message) for message in _field_messages("name", name)]
    values["name"] = name

    if "description" in cells:
        values["description"] = row.values["description"].strip()

    if not cells["price"]:
        errors.append(("price", _("A price is needed.")))
    else:
        try:
            price = validate_money(cells["price"])
        except DomainValidationError as exc:
            errors.append(("price", exc.extra["fields"]["price"][0]))
        except ArithmeticError:  # too many digits to round to cents
            errors.append(("price", _("Enter a valid price.")))
        else:
            errors += [("price", message) for message in _field_messages("price", price)]
            values["price"] = price

    stock = cells["stock_quantity"]
    if not stock.isascii() or not stock.isdigit():
        errors.append(("stock_quantity", _("Enter a whole number, 0 or more.")))
    elif int(stock) > _MAX_STOCK:
        errors.append(("stock_quantity", _("Enter at most %(most)d.") % {"most": _MAX_STOCK}))
    else:
        values["stock_quantity"] = int(stock)

    sku = cells["sku"]
    if not sku:
        errors.append(("sku", _("A SKU is needed: it names the product in later imports.")))
    else:
        errors += [("sku", message) for message in _field_messages("sku", sku)]

    if "category" in cells:
        category_id, message = None, ""
        if cells["category"]:
            category_id, message = categories.find(cells["category"])
        if message:
            errors.append(("category", message))
        values["category_id"] = category_id

    tags: list[str] | None = None
    if "tags" in cells:
        tags = list(
            dict.fromkeys(
                " ".join(tag.split())
                for tag in cells["tags"].split(IMPORT_TAG_SEPARATOR)
                if tag.strip()
            )
        )
        errors += [
            ("tags", _("A tag name has at most 60 characters: “%(tag)s…”.") % {"tag": tag[:20]})
            for tag in tags
            if len(tag) > 60
        ]

    if "is_active" in cells:
        flag = cells["is_active"].lower()
        if flag in _IMPORT_TRUE or flag == "":
            values["is_active"] = True
        elif flag in _IMPORT_FALSE:
            values["is_active"] = False
        else:
            errors.append(("is_active", _("Enter true or false (yes/no, 1/0; empty means true).")))

    if errors:
        return None, errors
    return _ImportPlan(line=row.line, sku=sku, values=values, tags=tags), []


def _import_validate(
    rows: list[ProductImportRow], *, existing: dict[str, Product], update: bool
) -> tuple[list[_ImportPlan], list[ProductImportError]]:
    categories = _CategoryFinder()
    plans: list[_ImportPlan] = []
    errors: list[ProductImportError] = []
    first_line_of_sku: dict[str, int] = {}
    for row in rows:
        if row.problem:
            errors.append(ProductImportError(row.line, "", row.problem))
            continue
        plan, problems = _import_row_validate(row, categories=categories)
        sku = row.values["sku"].strip()
        if sku:
            if sku in first_line_of_sku:
                problems.append(
                    (
                        "sku",
                        _("SKU %(sku)s is also on line %(line)d.")
                        % {"sku": sku, "line": first_line_of_sku[sku]},
                    )
                )
            else:
                first_line_of_sku[sku] = row.line
                if sku in existing and not update:
                    problems.append(
                        (
                            "sku",
                            _(
                                "This shop already has a product with SKU %(sku)s "
                                "(--update changes existing products)."
                            )
                            % {"sku": sku},
                        )
                    )
        if problems:
            errors += [
                ProductImportError(row.line, column, message) for column, message in problems
            ]
            continue
        plan.variant = existing.get(plan.sku)
        plan.product = plan.variant.product if plan.variant else None
        plan.is_new = plan.product is None
        plans.append(plan)
    return plans, errors


def _import_existing(*, shop: Shop, skus: list[str], lock: bool) -> dict[str, ProductVariant]:
    """The shop's live variants with these SKUs (with their products). With `lock`, the
    rows to update are locked: the products, then the variants, in primary-key order
    like every stock writer."""
    variants = ProductVariant.objects.filter(shop=shop, deleted_at__isnull=True)
    found: dict[str, ProductVariant] = {}
    for start in range(0, len(skus), IMPORT_BATCH_SIZE):
        found.update(
            (variant.sku, variant)
            for variant in variants.filter(
                sku__in=skus[start : start + IMPORT_BATCH_SIZE]
            ).select_related("product")
        )
    if lock and found:
        ids = sorted(variant.pk for variant in found.values())
        product_ids = sorted({variant.product_id for variant in found.values()})
        for start in range(0, len(product_ids), IMPORT_BATCH_SIZE):
            list(
                Product.objects.select_for_update(of=("self",))
                .filter(pk__in=product_ids[start : start + IMPORT_BATCH_SIZE])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        fresh = {}
        for start in range(0, len(ids), IMPORT_BATCH_SIZE):
            fresh.update(
                ProductVariant.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[start : start + IMPORT_BATCH_SIZE])
                .order_by("pk")
                .values_list("pk", "stock_quantity")
            )
        for variant in found.values():
            variant.stock_quantity = fresh[variant.pk]
    return found


def _tag_key(name: str) -> str:
    return " ".join(name.split())[:60].lower()


def _slugs_taken(candidates: Iterable[str]) -> set[str]:
    candidates = sorted(set(candidates))
    taken: set[str] = set()
    for start in range(0, len(candidates), IMPORT_BATCH_SIZE):
        taken.update(
            Product.objects.filter(
                slug__in=candidates[start : start + IMPORT_BATCH_SIZE]
            ).values_list("slug", flat=True)
        )
    return taken


def _import_slugs(plans: list[_ImportPlan]) -> list[str]:
    """Unique slugs for new products: the name's, else the name's and the SKU's, else
    that with a random suffix (the same file imported into a second shop)."""
    choices = []
    for plan in plans:
        base = slugify(plan.values["name"])[:200].strip("-") or "product"
        with_sku = f"{base}-{slugify(plan.sku)}"[:212].strip("-")
        choices.append((base, with_sku))
    taken = _slugs_taken(slug for pair in choices for slug in pair)
    slugs: list[str | None] = []
    for base, with_sku in choices:
        slug = next((choice for choice in (base, with_sku) if choice not in taken), None)
        if slug is not None:
            taken.add(slug)
        slugs.append(slug)
    while None in slugs:
        suffixed = {
            index: f"{choices[index][1]}-{secrets.token_hex(3)}"
            for index, slug in enumerate(slugs)
            if slug is None
        }
        taken |= _slugs_taken(suffixed.values())
        for index, slug in suffixed.items():
            if slug not in taken:
                taken.add(slug)
                slugs[index] = slug
    return slugs


def products_import(
    *,
    shop: Shop,
    rows: Iterable[ProductImportRow],
    user: User | None = None,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ProductImportResult:
    """Create (and with `update`, change by SKU) `shop`'s products from import rows.

    Every row is validated first; any bad row raises ProductImportInvalid listing every
    problem with its line, and nothing is written. Otherwise all rows are written in one
    transaction, with their tags and search words; `dry_run` validates only. `user` must
    manage the shop; None is a trusted caller (an operator's command). `progress(n)` is
    called as rows are written.
    """
    if user is not None:
        require_manager(user=user, shop=shop)
    rows = list(rows)
    skus = sorted({row.values["sku"].strip() for row in rows if not row.problem} - {""})
    try:
        with transaction.atomic():
            existing = _import_existing(shop=shop, skus=skus, lock=update and not dry_run)
            plans, errors = _import_validate(rows, existing=existing, update=update)
            if errors:
                raise ProductImportInvalid(errors)
            _import_mark_unchanged([plan for plan in plans if not plan.is_new])
            result = ProductImportResult(rows=len(plans), dry_run=dry_run)
            result.created = sum(1 for plan in plans if plan.is_new)
            result.updated = sum(1 for plan in plans if not plan.is_new and plan.changed)
            result.unchanged = len(plans) - result.created - result.updated
            tag_names = list(
                {_tag_key(tag): tag for plan in plans for tag in plan.tags or []}.values()
            )
            known_tags = _tags_known(tag_names)
            result.tags_created = len(tag_names) - len(known_tags)
            if not dry_run:
                _import_write(shop=shop, plans=plans, tag_names=tag_names, progress=progress)
                result.product_ids = [plan.product.pk for plan in plans if plan.changed]
    except IntegrityError as exc:  # a SKU or slug taken by another writer meanwhile
        raise ProductImportConflict() from exc
    return result


def _import_mark_unchanged(plans: list[_ImportPlan]) -> None:
    """Mark the rows that would leave their existing product as it is."""
    Through = Product.tags.through
    ids = [plan.product.pk for plan in plans if plan.tags is not None]
    current_tags: dict[int, set[str]] = {}
    for start in range(0, len(ids), IMPORT_BATCH_SIZE):
        for product_id, name in Through.objects.filter(
            product_id__in=ids[start : start + IMPORT_BATCH_SIZE]
        ).values_list("product_id", "tag__name"):
            current_tags.setdefault(product_id, set()).add(_tag_key(name))
    for plan in plans:
        plan.changed = any(
            getattr(plan.variant if name in _VARIANT_COLUMNS else plan.product, name) != value
            for name, value in plan.values.items()
        )
        if plan.tags is not None and not plan.changed:
            wanted = {_tag_key(tag) for tag in plan.tags}
            plan.changed = wanted != current_tags.get(plan.product.pk, set())


def _tags_known(names: list[str]) -> set[str]:
    from django.db.models.functions import Lower

    keys = [_tag_key(name) for name in names]
    known: set[str] = set()
    for start in range(0, len(keys), IMPORT_BATCH_SIZE):
        known.update(
            Tag.objects.annotate(key=Lower("name"))
            .filter(key__in=keys[start : start + IMPORT_BATCH_SIZE])
            .values_list("key", flat=True)
        )
    return known


def _import_write(
    *,
    shop: Shop,
    plans: list[_ImportPlan],
    tag_names: list[str],
    progress: Callable[[int], Any] | None,
) -> None:
    tag_ids = {_tag_key(tag.name): tag.pk for tag in tags_get_or_create(names=tag_names)}
    now = timezone.now()
    currency = catalog_currency()

    new_plans = [plan for plan in plans if plan.is_new]
    for plan, slug in zip(new_plans, _import_slugs(new_plans), strict=True):
        own = {name: value for name, value in plan.values.items() if name not in _VARIANT_COLUMNS}
        plan.product = Product(
            shop=shop,
            currency=currency,
            slug=slug,
            price=plan.values["price"],
            price_max=plan.values["price"],
            stock_quantity=plan.values["stock_quantity"],
            variant_count=1,
            **own,
        )
    changed_plans = [plan for plan in plans if not plan.is_new and plan.changed]
    product_fields = sorted(
        {name for plan in changed_plans for name in plan.values if name not in _VARIANT_COLUMNS}
    )
    variant_fields = sorted(
        {name for plan in changed_plans for name in plan.values if name in _VARIANT_COLUMNS}
    )
    for plan in changed_plans:
        for name, value in plan.values.items():
            setattr(plan.variant if name in _VARIANT_COLUMNS else plan.product, name, value)
        plan.product.updated_at = plan.variant.updated_at = now

    Through = Product.tags.through
    for start in range(0, len(plans), IMPORT_BATCH_SIZE):
        batch = plans[start : start + IMPORT_BATCH_SIZE]
        created = [plan.product for plan in batch if plan.is_new]
        if created:
            Product.objects.bulk_create(created)
            if created[0].pk is None:  # databases that answer no ids
                ids = dict(
                    Product.objects.filter(slug__in=[p.slug for p in created]).values_list(
                        "slug", "id"
                    )
                )
                for product in created:
                    product.pk = product.id = ids[product.slug]
            ProductVariant.objects.bulk_create(
                ProductVariant(
                    product=plan.product,
                    shop=shop,
                    sku=plan.sku,
                    price=plan.values["price"],
                    stock_quantity=plan.values["stock_quantity"],
                )
                for plan in batch
                if plan.is_new
            )
        changed = [plan for plan in batch if not plan.is_new and plan.changed]
        if changed and product_fields:
            _rows_update(
                Product, [plan.product for plan in changed], [*product_fields, "updated_at"]
            )
        if changed and variant_fields:
            _rows_update(
                ProductVariant, [plan.variant for plan in changed], [*variant_fields, "updated_at"]
            )
        if changed and variant_fields:
            products_summary_refresh(product_ids=[plan.product.pk for plan in changed])
        retagged = [plan for plan in batch if plan.tags is not None and plan.changed]
        Through.objects.filter(
            product_id__in=[plan.product.pk for plan in retagged if not plan.is_new]
        ).delete()
        Through.objects.bulk_create(
            Through(product_id=plan.product.pk, tag_id=tag_ids[_tag_key(tag)])
            for plan in retagged
            for tag in plan.tags
        )
        if progress is not None:
            progress(len(batch))

    if "stock_quantity" in variant_fields:
        variants_low_stock_reset(variant_ids=[plan.variant.pk for plan in changed_plans])
    product_search_index_update(product_ids=[plan.product.pk for plan in plans if plan.changed])
    shops_changed(shop_ids=[shop.pk])  # bulk writes send no signals: empty the caches


def _rows_update(model, rows: list, field_names: list[str]) -> None:
    """Write these fields of each row with one prepared UPDATE run for every row
    (QuerySet.bulk_update's CASE expressions take seconds per thousand rows)."""
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model_field.column)} = %s" for model_field in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 (column names)
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [
            *(
                model_field.get_db_prep_save(getattr(row, model_field.attname), connection)
                for model_field in fields
            ),
            row.pk,
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
