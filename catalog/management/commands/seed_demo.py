"""`manage.py seed_demo`: a demo marketplace in seconds, or a large catalog for benchmarks.

Everything it makes is derived from fixed seeds and keyed by natural keys (shops,
categories and tags by slug, people by email, products by their demo SKU), so running it
again adds only what is missing: the same command with a larger `--products` extends the
catalog, and with the same number changes nothing but the printed passwords.

The benchmark's scale (issue 10) comes from four more options: `--shops` and
`--categories` add shops and leaf categories modelled on the demo's own (a shop in
another town selling what its model sells; "Travel Headphones" beside "Headphones"),
`--customers` adds customers, and `--reviews N` gives the catalog N reviews in all
instead of a few on most products.

Products, their tags, images and reviews are written with bulk inserts in batches,
then ratings are recomputed with one UPDATE and the search words with one more: calling
the per-product services would take hours for 100,000 products. Shops, categories, tags
and the staff login go through their apps' services.
"""

from __future__ import annotations

import functools
import io
import random
import secrets
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Avg, Count, DecimalField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Round
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont, ImageOps

from accounts.models import User
from accounts.services import staff_user_ensure, users_ensure_verified
from catalog.management.commands import _demo_data as data
from catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductVariant,
    Review,
    Tag,
)
from catalog.services import (
    category_create,
    product_image_make_thumbnail,
    product_search_index_update,
    tags_get_or_create,
)
from core.progress import progress_bar
from shipping.services import shipping_method_create, shipping_zone_create
from shops.models import Shop
from shops.services import shop_create
from taxes.eu_vat import EU_VAT_RATES
from taxes.services import tax_rates_load_eu

DEFAULT_STAFF_EMAIL = "admin@example.com"
DEFAULT_PRODUCTS = 240
DEMO_EMAIL_DOMAIN = "shop.example"  # reserved for examples: never a real person's mailbox
SKU_PREFIX = "DEMO-"
SEED = 20240611
BATCH_SIZE = 1000
IMAGE_SIZE = 800
IMAGES_PER_CATEGORY = 2  # the pool of generated pictures products share
MAX_REVIEWS_PER_PRODUCT = 7  # below 8 reviews an average never ends in a rounding tie
# With --reviews, the reviewed products get 1 to this many each.
MAX_TOPPED_UP_REVIEWS = 5

# The options of each demo leaf's products: (name, values to draw from, how many to draw,
# price added per step along the values). Clothing and shoes come in sizes and colours,
# electronics in colours or capacities; a leaf not named here sells simple products.
# Across the demo tree a product has about three variants.
_COLOURS = ["Black", "White", "Navy", "Red", "Grey", "Green", "Blue", "Beige"]
OPTION_SCHEMES: dict[str, list[tuple[str, list[str], tuple[int, int], int]]] = {
    "t-shirts": [("Size", ["S", "M", "L", "XL"], (4, 4), 0), ("Colour", _COLOURS, (2, 3), 0)],
    "jackets": [("Size", ["S", "M", "L", "XL"], (3, 4), 0), ("Colour", _COLOURS, (1, 2), 0)],
    "sneakers": [
        ("Size", ["39", "40", "41", "42", "43", "44"], (4, 5), 0),
        ("Colour", _COLOURS, (1, 2), 0),
    ],
    "boots": [("Size", ["38", "39", "40", "41", "42", "43", "44"], (4, 4), 0)],
    "headphones": [("Colour", ["Black", "White", "Blue", "Silver"], (2, 3), 0)],
    "speakers": [("Colour", ["Black", "Grey", "Red", "Blue"], (1, 3), 0)],
    "laptops": [("Capacity", ["256 GB", "512 GB", "1 TB"], (2, 3), 150)],
    "keyboards-and-mice": [("Colour", ["Black", "White", "Grey"], (1, 2), 0)],
    "phone-cases": [("Colour", ["Black", "Red", "Blue", "Pink", "Green"], (2, 4), 0)],
    "towels": [("Colour", ["White", "Grey", "Navy", "Beige", "Teal"], (2, 3), 0)],
    "bed-linen": [("Size", ["Single", "Double", "King"], (3, 3), 10)],
    "lamps": [("Colour", ["Black", "White", "Gold"], (1, 2), 0)],
    "backpacks": [("Colour", ["Black", "Olive", "Navy", "Orange"], (1, 3), 0)],
    "yoga-mats": [("Colour", ["Purple", "Blue", "Green", "Pink", "Black"], (2, 3), 0)],
    "dumbbells": [("Weight", ["2 kg", "5 kg", "10 kg", "15 kg"], (2, 4), 12)],
    "watches": [("Colour", ["Silver", "Gold", "Black"], (1, 2), 0)],
}  # fmt: skip

# Extra shops are the demo's shops opened in other towns; extra leaf categories put a
# qualifier before a demo leaf ("Travel Headphones") under the same parent.
TOWNS = [
    "Lisbon", "Oslo", "Kyoto", "Dublin", "Porto", "Bergen", "Ghent", "Turin", "Lyon",
    "Krakow", "Tallinn", "Seville", "Bremen", "Utrecht", "Galway", "Aarhus",
]  # fmt: skip
QUALIFIERS = [
    "Travel", "Premium", "Everyday", "Kids'", "Outdoor", "Classic", "Studio", "Compact",
    "Eco", "Designer", "Budget", "Heritage",
]  # fmt: skip
BASE_SHOPS = len(data.SHOPS)
BASE_CATEGORIES = len(data.CATEGORY_TREE) + sum(
    1 + len(leaves) for _root, middles in data.CATEGORY_TREE for _middle, leaves in middles
)
BASE_LEAVES = sum(len(leaves) for _root, middles in data.CATEGORY_TREE for _m, leaves in middles)
MAX_SHOPS = BASE_SHOPS * (1 + len(TOWNS))
MAX_CATEGORIES = BASE_CATEGORIES + BASE_LEAVES * len(QUALIFIERS)
BASE_CUSTOMERS = len(data.CUSTOMER_NAMES)


def owner_email(number: int) -> str:
    return f"owner{number}@{DEMO_EMAIL_DOMAIN}"


def customer_email(number: int) -> str:
    return f"customer{number}@{DEMO_EMAIL_DOMAIN}"


def person_name(number: int, named: list[tuple[str, str]]) -> tuple[str, str]:
    """Person `number` (from 1): the named ones first, then first and last names mixed
    from both demo lists so that the extra people differ from one another."""
    if number <= len(named):
        return named[number - 1]
    firsts = [first for first, _last in data.OWNER_NAMES + data.CUSTOMER_NAMES]
    lasts = [last for _first, last in data.CUSTOMER_NAMES + data.OWNER_NAMES]
    index = number - len(named) - 1
    return firsts[index % len(firsts)], lasts[(index // len(firsts) + index) % len(lasts)]


def shop_definitions(count: int) -> list[tuple[str, str, str, list[str]]]:
    """The first `count` shops: the demo's, then the same shops opened in other towns."""
    shops = list(data.SHOPS[:count])
    for number in range(BASE_SHOPS, count):
        slug, name, description, leaves = data.SHOPS[number % BASE_SHOPS]
        town = TOWNS[number // BASE_SHOPS - 1]
        shops.append((f"{slug}-{slugify(town)}", f"{name} {town}", description, leaves))
    return shops


@dataclass(frozen=True)
class Leaf:
    """A leaf category with what its products are made of."""

    category: Category
    nouns: list[str]
    adjectives: list[str]
    tag_names: list[str]
    price_range: tuple[int, int]
    features: list[str]


@dataclass(frozen=True)
class Scale:
    """How many shops, categories, customers and reviews the demo should have
    (None reviews: a few on most products, drawn with each product)."""

    shops: int = BASE_SHOPS
    categories: int = BASE_CATEGORIES
    customers: int = BASE_CUSTOMERS
    reviews: int | None = None


@dataclass
class Counts:
    shops: int = 0
    categories: int = 0
    tags: int = 0
    people: int = 0
    products: int = 0
    variants: int = 0
    images: int = 0
    reviews: int = 0


class Command(BaseCommand):
    help = (
        "Load the demo data: shops with their owners, a category tree, tags, products with "
        "generated images, and customers' reviews; create or reset the staff login and print "
        "it. Idempotent: running it again adds only what is missing (a larger --products "
        "extends the catalog) and resets the printed passwords."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_PRODUCTS,
            metavar="N",
            help=(
                f"How many demo products the catalog should hold (default {DEFAULT_PRODUCTS}). "
                "100000 makes a large catalog for benchmarks in minutes on PostgreSQL; "
                "0 makes shops, categories, tags and people only."
            ),
        )
        parser.add_argument(
            "--shops",
            type=int,
            default=BASE_SHOPS,
            metavar="N",
            help=(
                f"How many shops (default {BASE_SHOPS}, at most {MAX_SHOPS}); beyond the "
                f"{BASE_SHOPS} demo shops, the same shops open in other towns."
            ),
        )
        parser.add_argument(
            "--categories",
            type=int,
            default=BASE_CATEGORIES,
            metavar="N",
            help=(
                f"How many categories (default and least {BASE_CATEGORIES}, the demo tree; "
                f"at most {MAX_CATEGORIES}); the extra ones are leaves such as "
                "'Travel Headphones' beside 'Headphones', and hold products too."
            ),
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=BASE_CUSTOMERS,
            metavar="N",
            help=(
                f"How many demo customers (default and least {BASE_CUSTOMERS}); they write "
                "the reviews and, with seed_orders, place the orders."
            ),
        )
        parser.add_argument(
            "--reviews",
            type=int,
            default=None,
            metavar="N",
            help=(
                "How many reviews the demo catalog should hold in all (default: a few on "
                "most products); products are given 1 to "
                f"{MAX_TOPPED_UP_REVIEWS} reviews each until there are N. Never deletes any."
            ),
        )
        parser.add_argument(
            "--staff-email",
            default=DEFAULT_STAFF_EMAIL,
            metavar="EMAIL",
            help=f"Email of the platform staff login (default {DEFAULT_STAFF_EMAIL}).",
        )
        parser.add_argument(
            "--staff-password",
            default=None,
            metavar="PASSWORD",
            help="Password for the staff login (default: a new random one, printed).",
        )
        parser.add_argument(
            "--no-staff", action="store_true", help="Do not create or reset the staff login."
        )
        parser.add_argument(
            "--owner-password",
            default=None,
            metavar="PASSWORD",
            help=(
                "Password shared by the demo shop owners (owner1@shop.example ...) and "
                "customers (customer1@shop.example ...); default: a new random one, printed."
            ),
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Do not draw the progress bar (it is drawn only when stderr is a terminal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        total = options["products"]
        if total < 0:
            raise CommandError("--products must be 0 or more.")
        scale = Scale(
            shops=options["shops"],
            categories=options["categories"],
            customers=options["customers"],
            reviews=options["reviews"],
        )
        _scale_check(scale)
        staff_password = None
        if not options["no_staff"]:
            staff_password = options["staff_password"] or secrets.token_urlsafe(12)
            if len(staff_password) < 8:
                raise CommandError("--staff-password must be at least 8 characters.")
        demo_password = options["owner_password"] or secrets.token_urlsafe(12)
        if len(demo_password) < 8:
            raise CommandError("--owner-password must be at least 8 characters.")

        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = progress_bar(
            desc="Demo products",
            unit="product",
            total=total,
            file=stream,
            disable=options["no_progress"] or not stream.isatty(),
        )
        seeder = DemoSeeder(progress=progress, scale=scale)
        staff = None
        # Password hashing is slow on purpose and releases the GIL: the demo accounts'
        # shared hash is computed in a thread while the staff login hashes its own.
        with ThreadPoolExecutor(max_workers=1) as hasher:
            demo_hash = hasher.submit(make_password, demo_password)
            try:
                with transaction.atomic():
                    if staff_password is not None:
                        staff = staff_user_ensure(
                            email=options["staff_email"], password=staff_password
                        )
                    seeder.run(total=total, password_hash=demo_hash)
            finally:
                progress.close()

        if options["verbosity"] >= 1:
            self._report(seeder, time.monotonic() - started)
        if staff is not None:
            user, created = staff
            verb = "Created" if created else "Reset"
            self.stdout.write(self.style.SUCCESS(f"{verb} the staff login:"))
            self.stdout.write(f"  email:    {user.email}")
            self.stdout.write(f"  password: {staff_password}")
            self.stdout.write("  admin:    http://127.0.0.1:8000/admin/")
        self.stdout.write(
            f"Demo shop owners ({owner_email(1)} to {owner_email(scale.shops)}) and "
            f"customers ({customer_email(1)} to {customer_email(scale.customers)}) "
            "sign in with the demo password:"
        )
        self.stdout.write(f"  demo password: {demo_password}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _report(self, seeder: DemoSeeder, seconds: float) -> None:
        new, stats = seeder.created, seeder.totals()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {seconds:.1f} s:"))
        for label, key in [
            ("shops", "shops"),
            ("categories", "categories"),
            ("tags", "tags"),
            ("people", "people"),
            ("products", "products"),
            ("variants", "variants"),
            ("images", "images"),
            ("reviews", "reviews"),
        ]:
            self.stdout.write(f"  {label:<11}{stats[key]:>9,}  ({getattr(new, key):,} new)")


class DemoSeeder:
    """Makes the demo data; `created` counts what this run added."""

    def __init__(self, *, progress, scale: Scale | None = None) -> None:
        self.progress = progress
        self.scale = scale or Scale()
        self.shop_leaves: list[list[str]] = []  # per shop: the base leaves it sells
        self.variants: dict[str, list[Leaf]] = {}  # base leaf slug -> it and its variants
        self.base_leaf: dict[str, Leaf] = {}  # variant slug -> its base (whose pictures it uses)
        self.created = Counts()
        self.shops: list[Shop] = []
        self.category_ids: set[int] = set()
        self.existing_categories: dict[str, Category] = {}
        self.leaves: dict[str, Leaf] = {}
        self.tags: dict[str, Tag] = {}
        self.customer_ids: list[int] = []
        self.pictures: dict[str, str] = {}  # pool picture name -> its thumbnail name, or ""

    def run(self, *, total: int, password_hash: Future[str]) -> None:
        """Seed up to `total` products; every demo account gets `password_hash`."""
        owners = self._people_ensure(
            [
                (owner_email(number), *person_name(number, data.OWNER_NAMES))
                for number in range(1, self.scale.shops + 1)
            ],
            password_hash.result(),
        )
        customers = self._people_ensure(
            [
                (customer_email(number), *person_name(number, data.CUSTOMER_NAMES))
                for number in range(1, self.scale.customers + 1)
            ],
            password_hash.result(),
        )
        self.customer_ids = [user.pk for user in customers]
        self._shops_ensure(owners)
        self._tags_ensure()
        self._categories_ensure()
        created_ids = self._products_ensure(total)
        self._thumbnails_ensure()
        if self.scale.reviews is not None:
            created_ids += self._reviews_top_up(self.scale.reviews)
        if created_ids:
            self.progress.set_postfix_str("ratings and search words")
            self._ratings_refresh()
            product_search_index_update(product_ids=None)

    def _demo_products(self):
        """The demo catalog's products (those with a demo SKU) of the seeded shops."""
        return Product.objects.filter(
            shop_id__in=[shop.pk for shop in self.shops],
            variants__sku__startswith=SKU_PREFIX,
        ).distinct()

    def totals(self) -> dict[str, int]:
        products = self._demo_products()
        return {
            "shops": len(self.shops),
            "categories": len(self.category_ids),
            "tags": len(self.tags),
            "people": len(self.shops) + len(self.customer_ids),
            "products": products.count(),
            "variants": ProductVariant.objects.filter(product__in=products).count(),
            "images": ProductImage.objects.filter(product__in=products).count(),
            "reviews": Review.objects.filter(product__in=products).count(),
        }

    # --- People, shops, tags, categories (few: through the apps' services) -------------

    def _people_ensure(self, people: list[tuple[str, str, str]], password_hash: str) -> list[User]:
        """Demo accounts with a verified address, all signing in with the demo password."""
        users, created = users_ensure_verified(people=people, password_hash=password_hash)
        self.created.people += created
        return users

    def _shops_ensure(self, owners: list[User]) -> None:
        definitions = shop_definitions(self.scale.shops)
        existing = Shop.objects.in_bulk([slug for slug, *_rest in definitions], field_name="slug")
        for (slug, name, description, leaves), owner in zip(definitions, owners, strict=True):
            self.shop_leaves.append(leaves)
            shop = existing.get(slug)
            if shop is None:
                shop = shop_create(
                    owner=owner,
                    data={
                        "name": name,
                        "slug": slug,
                        "description": description,
                        "email": f"hello@{slug}.{DEMO_EMAIL_DOMAIN}",
                    },
                )
                self.created.shops += 1
                demo_shipping(shop, index=len(self.shops))
            self.shops.append(shop)
        tax_rates_load_eu()  # the EU member states' VAT rates (taxes.eu_vat), idempotent

    def _tags_ensure(self) -> None:
        before = Tag.objects.count()
        self.tags = {tag.name: tag for tag in tags_get_or_create(names=data.TAGS)}
        self.created.tags += Tag.objects.count() - before

    def _category_ensure(self, *, name: str, slug: str, parent: Category | None, position: int):
        category = self.existing_categories.get(slug)
        if category is None:
            category = category_create(
                data={"name": name, "slug": slug, "parent": parent, "position": position}
            )
            self.created.categories += 1
        self.category_ids.add(category.pk)
        return category

    def _categories_ensure(self) -> None:
        slugs = [slugify(root) for root, _middles in data.CATEGORY_TREE]
        for _root, middles in data.CATEGORY_TREE:
            for middle, leaves in middles:
                slugs += [slugify(middle), *(leaf[0] for leaf in leaves)]
        self.existing_categories = Category.objects.in_bulk(slugs, field_name="slug")
        for root_position, (root_name, middles) in enumerate(data.CATEGORY_TREE):
            root = self._category_ensure(
                name=root_name, slug=slugify(root_name), parent=None, position=root_position
            )
            for middle_position, (middle_name, leaves) in enumerate(middles):
                middle = self._category_ensure(
                    name=middle_name,
                    slug=slugify(middle_name),
                    parent=root,
                    position=middle_position,
                )
                for position, leaf in enumerate(leaves):
                    slug, name, nouns, adjectives, tag_names, price_range, features = leaf
                    category = self._category_ensure(
                        name=name, slug=slug, parent=middle, position=position
                    )
                    self.leaves[slug] = Leaf(
                        category, nouns, adjectives, tag_names, price_range, features
                    )
                    self.variants[slug] = [self.leaves[slug]]
        self._variants_ensure()

    def _variants_ensure(self) -> None:
        """The extra leaves: a qualifier before each demo leaf in turn, same parent."""
        bases = list(self.leaves.values())
        extra = self.scale.categories - BASE_CATEGORIES
        wanted = []
        for number in range(extra):
            base = bases[number % len(bases)]
            qualifier = QUALIFIERS[number // len(bases)]
            wanted.append((base, f"{slugify(qualifier)}-{base.category.slug}", qualifier))
        self.existing_categories |= Category.objects.in_bulk(
            [slug for _base, slug, _qualifier in wanted], field_name="slug"
        )
        for base, slug, qualifier in wanted:
            category = self._category_ensure(
                name=f"{qualifier} {base.category.name}",
                slug=slug,
                parent=base.category.parent,
                position=len(self.variants[base.category.slug]) + 100,
            )
            variant = Leaf(category, *[getattr(base, field) for field in LEAF_MATERIALS])
            self.leaves[slug] = variant
            self.base_leaf[slug] = base
            self.variants[base.category.slug].append(variant)

    # --- Products, with their tags, images and reviews (many: bulk inserts) ------------

    def _products_ensure(self, total: int) -> list[int]:
        shop_ids = [shop.pk for shop in self.shops]
        # Keyed by SKU alone: with another --shops a product number maps to another shop.
        existing = {
            sku[: len(SKU_PREFIX) + 6]
            for sku in ProductVariant.objects.filter(
                shop_id__in=shop_ids, sku__startswith=SKU_PREFIX
            ).values_list("sku", flat=True)
        }
        self.pictures = dict(
            ProductImage.objects.filter(image__startswith="demo/")
            .exclude(thumbnail="")
            .values_list("image", "thumbnail")
            .distinct()
        )
        created_ids: list[int] = []
        batch: list[tuple[Product, random.Random, Leaf, DemoVariants]] = []
        for index in range(total):
            shop = self.shops[index % len(self.shops)]
            sku = f"{SKU_PREFIX}{index + 1:06d}"
            if sku not in existing:
                batch.append(self._product_new(index, shop, sku))
            if len(batch) >= BATCH_SIZE or (index + 1) % BATCH_SIZE == 0:
                created_ids += self._batch_save(batch)
                self.progress.update(index + 1 - self.progress.n)
                batch = []
        created_ids += self._batch_save(batch)
        self.progress.update(total - self.progress.n)
        return created_ids

    def _product_new(
        self, index: int, shop: Shop, sku: str
    ) -> tuple[Product, random.Random, Leaf, DemoVariants]:
        """Product number `index`: the same every run, whatever --products says."""
        rng = random.Random(SEED * 1_000_003 + index)  # noqa: S311 (demo data, not secrets)
        shop_leaves = self.shop_leaves[index % len(self.shops)]
        leaf = self.leaves[rng.choice(shop_leaves)]
        variants = self.variants[leaf.category.slug]
        if len(variants) > 1:  # its own generator: the products of the demo tree stay as they are
            leaf = random.Random(f"{SEED}-variant-{index}").choice(variants)  # noqa: S311
        brand, adjective, noun = (
            rng.choice(data.BRANDS),
            rng.choice(leaf.adjectives),
            rng.choice(leaf.nouns),
        )
        colour = rng.choice(data.COLOURS)
        name = f"{brand} {adjective} {noun}"
        if rng.random() < 0.4:
            name += f" {rng.choice(['Mini', 'Plus', 'Pro', 'Max', 'Lite', 'II', '2', 'X'])}"
        first, second = rng.sample(leaf.features, 2)
        description = (
            f"The {name} in {colour.lower()}, from {shop.name}. "
            f"It comes with {first} and {second}. "
            f"{brand} designs every {noun.lower()} to last, and {shop.name} ships it within "
            f"{rng.randint(1, 4)} working days."
        )
        lowest, highest = leaf.price_range
        whole = int(lowest + (highest - lowest) * rng.random() ** 2)  # more cheap than dear
        cents = rng.choice(["0.99", "0.99", "0.49", "0.00", "0.95"])
        chance = rng.random()
        stock = 0 if chance < 0.08 else rng.randint(1, 4) if chance < 0.18 else rng.randint(5, 250)
        price = Decimal(whole) + Decimal(cents)
        base = self.base_leaf.get(leaf.category.slug, leaf).category.slug
        variants = _demo_variants(index, sku, base, price, stock)
        prices = [variant.price for variant in variants.variants]
        product = Product(
            shop=shop,
            category=leaf.category,
            name=name,
            slug=f"{slugify(name)}-{sku.lower()}",
            description=description,
            price=min(prices),
            price_max=max(prices),
            currency=settings.DEFAULT_CURRENCY,
            stock_quantity=sum(variant.stock_quantity for variant in variants.variants),
            variant_count=len(prices),
            is_active=True,
        )
        return product, rng, leaf, variants

    def _batch_save(
        self, batch: list[tuple[Product, random.Random, Leaf, DemoVariants]]
    ) -> list[int]:
        if not batch:
            return []
        products = [product for product, _rng, _leaf, _variants in batch]
        taken = set(
            Product.objects.filter(slug__in=[product.slug for product in products]).values_list(
                "slug", flat=True
            )
        )
        for product in products:
            if product.slug in taken:  # a shop's own product already has this name
                product.slug = f"{product.slug}-{secrets.token_hex(3)}"
        Product.objects.bulk_create(products)
        if products and products[0].pk is None:  # databases that answer no ids
            ids = dict(
                Product.objects.filter(slug__in=[product.slug for product in products]).values_list(
                    "slug", "id"
                )
            )
            for product in products:
                product.pk = product.id = ids[product.slug]
        self._variants_save(batch)

        product_tags, images, reviews = [], [], []
        Through = Product.tags.through
        for product, rng, leaf, _variants in batch:
            names = rng.sample(leaf.tag_names, rng.randint(1, min(2, len(leaf.tag_names))))
            if rng.random() < 0.3:
                names.append(rng.choice(data.GENERAL_TAGS))
            for name in dict.fromkeys(names):
                product_tags.append(Through(product_id=product.pk, tag_id=self.tags[name].pk))
            for position in range(2 if rng.random() < 0.25 else 1):
                picture = self._picture(
                    self.base_leaf.get(leaf.category.slug, leaf), rng.randrange(IMAGES_PER_CATEGORY)
                )
                images.append(
                    ProductImage(
                        product_id=product.pk,
                        image=picture,
                        width=IMAGE_SIZE,
                        height=IMAGE_SIZE,
                        thumbnail=self.pictures.get(picture, ""),
                        alt=product.name if position == 0 else f"{product.name}, another view",
                        position=position,
                    )
                )
            if self.scale.reviews is None:
                reviews += self._reviews_new(product, rng, leaf)

        Through.objects.bulk_create(product_tags, batch_size=BATCH_SIZE)
        ProductImage.objects.bulk_create(images, batch_size=BATCH_SIZE)
        Review.objects.bulk_create(reviews, batch_size=BATCH_SIZE)
        self.created.products += len(products)
        self.created.images += len(images)
        self.created.reviews += len(reviews)
        return [product.pk for product in products]

    def _variants_save(
        self, batch: list[tuple[Product, random.Random, Leaf, DemoVariants]]
    ) -> None:
        """The batch's options, their values, variants and the links between them."""
        options, values = [], []
        for product, _rng, _leaf, planned in batch:
            for position, (name, _names) in enumerate(planned.options):
                options.append(ProductOption(product_id=product.pk, name=name, position=position))
        ProductOption.objects.bulk_create(options, batch_size=BATCH_SIZE)
        made = iter(options)
        value_rows: list[list[list[ProductOptionValue]]] = []  # per product, per option
        for _product, _rng, _leaf, planned in batch:
            per_option = []
            for _name, names in planned.options:
                option = next(made)
                rows = [
                    ProductOptionValue(option_id=option.pk, value=value, position=position)
                    for position, value in enumerate(names)
                ]
                values += rows
                per_option.append(rows)
            value_rows.append(per_option)
        ProductOptionValue.objects.bulk_create(values, batch_size=BATCH_SIZE)
        variants, chosen_values = [], []
        for (product, _rng, _leaf, planned), per_option in zip(batch, value_rows, strict=True):
            for variant, indexes in zip(planned.variants, planned.combinations, strict=True):
                chosen = [per_option[i][j] for i, j in enumerate(indexes)]
                variant.product_id, variant.shop_id = product.pk, product.shop_id
                variant.combination = "-".join(str(value.pk) for value in chosen)
                variants.append(variant)
                chosen_values.append(chosen)
        ProductVariant.objects.bulk_create(variants, batch_size=BATCH_SIZE)
        Link = ProductVariant.option_values.through
        links = [
            Link(productvariant_id=variant.pk, productoptionvalue_id=value.pk)
            for variant, chosen in zip(variants, chosen_values, strict=True)
            for value in chosen
        ]
        Link.objects.bulk_create(links, batch_size=BATCH_SIZE)
        self.created.variants += len(variants)

    def _reviews_new(self, product: Product, rng: random.Random, leaf: Leaf) -> list[Review]:
        if rng.random() < 0.15 or not self.customer_ids:
            return []
        count = rng.randint(1, min(MAX_REVIEWS_PER_PRODUCT, len(self.customer_ids)))
        return self._reviews_draw(product.pk, product.name, rng, count)

    def _reviews_draw(
        self, product_id: int, name: str, rng: random.Random, count: int
    ) -> list[Review]:
        quality = rng.uniform(2.2, 4.9)  # each product has its own typical rating
        reviews = []
        for user_id in rng.sample(self.customer_ids, count):
            rating = min(5, max(1, round(rng.gauss(quality, 0.9))))
            title, body = rng.choice(data.REVIEWS_BY_RATING[rating])
            noun = name.split(" ", 2)[-1].lower()
            reviews.append(
                Review(
                    product_id=product_id,
                    user_id=user_id,
                    rating=rating,
                    title=title,
                    body=body.format(noun=noun),
                )
            )
        return reviews

    def _reviews_top_up(self, target: int) -> list[int]:
        """Reviews on products that have none, in a fixed shuffled order, until the demo
        catalog holds `target`; answers the products reviewed."""
        products = self._demo_products()
        reviews = Review.objects.filter(product__in=products)
        have = reviews.count()
        if have >= target or not self.customer_ids:
            return []
        reviewed = set(reviews.values_list("product_id", flat=True).distinct())
        candidates = list(products.order_by("pk").values_list("id", "name"))
        rng = random.Random(SEED + 1)  # noqa: S311 (demo data)
        rng.shuffle(candidates)
        touched, batch = [], []
        limit = min(MAX_TOPPED_UP_REVIEWS, len(self.customer_ids))
        for product_id, name in candidates:
            if have >= target:
                break
            if product_id in reviewed:
                continue
            count = min(rng.randint(1, limit), target - have)
            batch += self._reviews_draw(product_id, name, rng, count)
            touched.append(product_id)
            have += count
            if len(batch) >= BATCH_SIZE:
                Review.objects.bulk_create(batch)
                self.created.reviews += len(batch)
                batch = []
        Review.objects.bulk_create(batch)
        self.created.reviews += len(batch)
        return touched

    # --- Pictures ------------------------------------------------------------------------

    def _picture(self, leaf: Leaf, variant: int) -> str:
        """The name of a stored demo picture of `leaf`, drawn on first use."""
        name = f"demo/products/{leaf.category.slug}-{variant + 1}.jpg"
        if name not in self.pictures:
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(_picture_draw(leaf, variant)))
            self.pictures[name] = ""
        return name

    def _thumbnails_ensure(self) -> None:
        """One thumbnail per pool picture (made by the catalog's own service), shared by
        every image row showing that picture."""
        missing = ProductImage.objects.filter(image__startswith="demo/", thumbnail="")
        for picture in missing.values_list("image", flat=True).distinct().order_by("image"):
            thumbnail = self.pictures.get(picture)
            if not thumbnail:
                first = missing.filter(image=picture).order_by("id").first()
                thumbnail = product_image_make_thumbnail(image_id=first.pk).thumbnail.name
                self.pictures[picture] = thumbnail
            missing.filter(image=picture).update(thumbnail=thumbnail)

    def _ratings_refresh(self) -> None:
        """Every demo shop product's rating from its reviews, in one UPDATE (rounded to
        cents like catalog.services.product_rating_refresh)."""
        reviews = Review.objects.filter(product=OuterRef("pk")).order_by().values("product")
        average = reviews.annotate(value=Round(Avg("rating"), 2)).values("value")
        count = reviews.annotate(value=Count("id")).values("value")
        Product.objects.filter(shop_id__in=[shop.pk for shop in self.shops]).update(
            rating_average=Subquery(
                average, output_field=DecimalField(max_digits=3, decimal_places=2)
            ),
            rating_count=Coalesce(Subquery(count), Value(0)),
        )


LEAF_MATERIALS = ("nouns", "adjectives", "tag_names", "price_range", "features")


@dataclass
class DemoVariants:
    """A demo product's options ([(name, values)]) and variants, each variant with the
    index of its value in each option (`combinations`)."""

    options: list[tuple[str, list[str]]]
    variants: list[ProductVariant]
    combinations: list[tuple[int, ...]]


def _demo_variants(index: int, sku: str, leaf_slug: str, price: Decimal, stock: int):
    """Product number `index`'s variants, drawn from its own generator (the product's
    other fields stay as they were before variants). Without options: one variant with
    the product's SKU, price and stock."""
    scheme = OPTION_SCHEMES.get(leaf_slug)
    if not scheme:
        variant = ProductVariant(sku=sku, price=price, stock_quantity=stock, position=0)
        return DemoVariants([], [variant], [()])
    rng = random.Random(f"{SEED}-options-{index}")  # noqa: S311 (demo data)
    options, steps = [], []
    for name, pool, (low, high), step in scheme:
        count = rng.randint(low, high)
        if step or name == "Size":  # sizes and capacities are consecutive, in order
            start = rng.randint(0, len(pool) - count)
            chosen = pool[start : start + count]
        else:
            chosen = rng.sample(pool, count)
        options.append((name, chosen))
        steps.append(step)
    combinations: list[tuple[int, ...]] = [()]
    for _name, chosen in options:
        combinations = [(*combo, i) for combo in combinations for i in range(len(chosen))]
    variants = []
    for position, combo in enumerate(combinations):
        extra = sum(Decimal(step) * i for step, i in zip(steps, combo, strict=True))
        chance = rng.random()
        quantity = 0 if chance < 0.1 else rng.randint(1, 4) if chance < 0.2 else rng.randint(5, 60)
        text = " / ".join(
            f"{name}: {chosen[i]}" for (name, chosen), i in zip(options, combo, strict=True)
        )
        variants.append(
            ProductVariant(
                sku=f"{sku}-{position + 1:02d}",
                price=price + extra,
                compare_at_price=(price + extra) * Decimal("1.25") if chance > 0.9 else None,
                stock_quantity=quantity if stock else 0,
                position=position,
                options_text=text,
            )
        )
    return DemoVariants(options, variants, combinations)


EU_COUNTRIES = sorted(EU_VAT_RATES)


def demo_shipping(shop: Shop, *, index: int) -> None:
    """A demo shop's delivery: domestic (US) standard, express and free above a subtotal;
    the EU by weight; everywhere else at one international rate; every third shop also
    lets people pick up. Replaces the zone every new shop starts with."""
    shop.shipping_zones.all().delete()
    domestic = shipping_zone_create(
        shop=shop, data={"name": "United States", "countries": ["US"]}, by=None
    )
    for method in (
        {"name": "Standard", "price": "4.99", "min_days": 3, "max_days": 5},
        {"name": "Express", "price": "14.99", "min_days": 1, "max_days": 2, "position": 1},
        {
            "name": "Free shipping",
            "kind": "free_over",
            "price": "6.99",
            "free_above": "75.00",
            "min_days": 4,
            "max_days": 7,
            "position": 2,
        },
    ):
        shipping_method_create(zone=domestic, data=method, by=None)
    if index % 3 == 0:
        shipping_method_create(
            zone=domestic,
            data={"name": "Pick up in store", "kind": "pickup", "min_days": 0, "max_days": 1},
            by=None,
        )
    europe = shipping_zone_create(
        shop=shop, data={"name": "European Union", "countries": EU_COUNTRIES}, by=None
    )
    shipping_method_create(
        zone=europe,
        data={
            "name": "Tracked parcel",
            "kind": "weight",
            "min_days": 5,
            "max_days": 9,
            "tiers": [
                {"up_to_kg": "1", "price": "9.50"},
                {"up_to_kg": "5", "price": "17.00"},
                {"up_to_kg": "30", "price": "39.00"},
            ],
        },
        by=None,
    )
    world = shipping_zone_create(shop=shop, data={"name": "Everywhere else"}, by=None)
    shipping_method_create(
        zone=world,
        data={"name": "International", "price": "19.99", "min_days": 7, "max_days": 14},
        by=None,
    )


def _scale_check(scale: Scale) -> None:
    if not BASE_SHOPS <= scale.shops <= MAX_SHOPS:
        raise CommandError(f"--shops must be between {BASE_SHOPS} and {MAX_SHOPS}.")
    if not BASE_CATEGORIES <= scale.categories <= MAX_CATEGORIES:
        raise CommandError(f"--categories must be between {BASE_CATEGORIES} and {MAX_CATEGORIES}.")
    if scale.customers < BASE_CUSTOMERS:
        raise CommandError(f"--customers must be at least {BASE_CUSTOMERS}.")
    if scale.reviews is not None and scale.reviews < 0:
        raise CommandError("--reviews must be 0 or more.")


def _picture_draw(leaf: Leaf, variant: int) -> bytes:
    return _picture_jpeg(leaf.category.slug, leaf.category.name, variant)


@functools.cache  # a process that seeds twice (the tests) draws each picture once
def _picture_jpeg(slug: str, name: str, variant: int) -> bytes:
    """A square JPEG: a two-colour gradient with the category's initials and name."""
    rng = random.Random(f"{slug}-{variant}")  # noqa: S311
    dark = tuple(rng.randint(20, 110) for _ in range(3))
    light = tuple(rng.randint(150, 245) for _ in range(3))
    picture = ImageOps.colorize(
        _gradient(rng.choice([0, 45, 90, 135])), black=dark, white=light
    ).convert("RGB")
    draw = ImageDraw.Draw(picture)
    centre = IMAGE_SIZE // 2
    draw.ellipse(
        (centre - 230, centre - 270, centre + 230, centre + 190),
        fill=(255, 255, 255),
        outline=dark,
        width=8,
    )
    initials = "".join(word[0] for word in name.replace("&", "").split())[:2]
    draw.text(
        (centre, centre - 40),
        initials.upper(),
        fill=dark,
        font=ImageFont.load_default(size=220),
        anchor="mm",
    )
    draw.text(
        (centre, IMAGE_SIZE - 110),
        name,
        fill=(255, 255, 255),
        font=ImageFont.load_default(size=64),
        anchor="mm",
        stroke_width=3,
        stroke_fill=dark,
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


@functools.cache
def _gradient(angle: int) -> Image.Image:
    return Image.linear_gradient("L").rotate(angle).resize((IMAGE_SIZE, IMAGE_SIZE))
