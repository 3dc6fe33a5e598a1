"""The words the demo catalog is made of (see seed_demo). Plain data: changing it changes
what a fresh `seed_demo` makes, never what an earlier run made."""

# Shops: (slug, name, description, leaf category slugs they sell).
SHOPS = [
    (
        "northwind-audio",
        "Northwind Audio",
        "Headphones and speakers tuned by people who listen for a living.",
        ["headphones", "speakers"],
    ),
    (
        "byte-and-bolt",
        "Byte & Bolt",
        "Laptops, keyboards and the cables that hold a desk together.",
        ["laptops", "keyboards-and-mice", "chargers-and-cables", "phone-cases"],
    ),
    (
        "copper-pot-kitchen",
        "Copper Pot Kitchen",
        "Cookware and coffee gear for kitchens that get used every day.",
        ["cookware", "coffee-and-tea"],
    ),
    (
        "oak-and-linen",
        "Oak & Linen Home",
        "Chairs, lamps, towels and bed linen in honest materials.",
        ["chairs", "lamps", "towels", "bed-linen"],
    ),
    (
        "threadline-apparel",
        "Threadline Apparel",
        "Everyday clothing and accessories, made to be worn for years.",
        ["t-shirts", "jackets", "bags", "watches"],
    ),
    (
        "stride-footwear",
        "Stride Footwear",
        "Sneakers and boots for city streets and muddy trails.",
        ["sneakers", "boots"],
    ),
    (
        "summit-outfitters",
        "Summit Outfitters",
        "Tents, packs and kit for nights under the sky.",
        ["tents", "backpacks"],
    ),
    (
        "iron-and-flow",
        "Iron & Flow Fitness",
        "Mats, weights and the basics of a home gym.",
        ["yoga-mats", "dumbbells"],
    ),
]

OWNER_NAMES = [
    ("Maya", "Lindqvist"),
    ("Tomás", "Ferreira"),
    ("Aiko", "Tanaka"),
    ("Oliver", "Bennett"),
    ("Priya", "Raman"),
    ("Lukas", "Hoffmann"),
    ("Sofia", "Marino"),
    ("Kwame", "Mensah"),
]

CUSTOMER_NAMES = [
    ("Emma", "Clarke"),
    ("Noah", "Schmidt"),
    ("Olivia", "Rossi"),
    ("Liam", "Dubois"),
    ("Ava", "Novak"),
    ("Lucas", "García"),
    ("Mia", "Kowalski"),
    ("Ethan", "Murphy"),
    ("Isla", "Jensen"),
    ("Leo", "Costa"),
    ("Zara", "Ahmed"),
    ("Finn", "O'Brien"),
    ("Chloe", "Martin"),
    ("Hugo", "Laurent"),
    ("Nora", "Berg"),
    ("Omar", "Haddad"),
    ("Ella", "Fischer"),
    ("Ravi", "Patel"),
    ("Lena", "Weber"),
    ("Jonas", "Nielsen"),
]

TAGS = [
    "Wireless",
    "Bluetooth",
    "USB-C",
    "Noise Cancelling",
    "Ergonomic",
    "Stainless Steel",
    "Organic Cotton",
    "Waterproof",
    "Lightweight",
    "Handmade",
    "Eco-Friendly",
    "Gift Idea",
    "Bestseller",
    "New Arrival",
    "Limited Edition",
    "Vegan Leather",
    "Recycled",
    "Portable",
    "Rechargeable",
    "Dishwasher Safe",
    "Machine Washable",
    "Premium",
    "Compact",
    "Vintage",
    "Sale",
]

# Tags any product may carry, beside its category's own.
GENERAL_TAGS = ["Gift Idea", "Bestseller", "New Arrival", "Limited Edition", "Sale", "Premium"]

# The tree: root -> middle -> leaves. A leaf is (slug, name, nouns, adjectives, tags,
# (lowest, highest price), features).
CATEGORY_TREE = [
    (
        "Electronics",
        [
            (
                "Audio",
                [
                    (
                        "headphones",
                        "Headphones",
                        ["Headphones", "Earbuds", "Headset", "On-Ear Headphones"],
                        ["Wireless", "Studio", "Noise-Cancelling", "Sport", "Foldable"],
                        ["Wireless", "Bluetooth", "Noise Cancelling", "Rechargeable"],
                        (19, 349),
                        [
                            "up to 30 hours of playback on one charge",
                            "soft memory-foam ear cushions",
                            "a clear microphone for calls",
                            "a detachable braided cable",
                        ],
                    ),
                    (
                        "speakers",
                        "Speakers",
                        ["Speaker", "Soundbar", "Bookshelf Speakers", "Party Speaker"],
                        ["Portable", "Waterproof", "Smart", "Compact", "Retro"],
                        ["Bluetooth", "Portable", "Waterproof", "Rechargeable"],
                        (25, 499),
                        [
                            "deep, room-filling bass",
                            "pairing with a second speaker for stereo",
                            "a splash-proof fabric grille",
                            "twelve hours of battery life",
                        ],
                    ),
                ],
            ),
            (
                "Computers",
                [
                    (
                        "laptops",
                        "Laptops",
                        ["Laptop", "Notebook", "Ultrabook", "Chromebook"],
                        ["Thin", "Pro", "Everyday", "Creator", "Student"],
                        ["Lightweight", "USB-C", "Premium"],
                        (299, 2399),
                        [
                            "a bright 14-inch display",
                            "all-day battery life",
                            "a backlit keyboard",
                            "fast solid-state storage",
                        ],
                    ),
                    (
                        "keyboards-and-mice",
                        "Keyboards & Mice",
                        ["Keyboard", "Mouse", "Trackball", "Keyboard and Mouse Set"],
                        ["Mechanical", "Wireless", "Silent", "Ergonomic", "Low-Profile"],
                        ["Wireless", "Ergonomic", "Bluetooth", "Rechargeable"],
                        (15, 189),
                        [
                            "quiet, tactile keys",
                            "switching between three devices",
                            "a USB-C receiver that stores inside",
                            "months between charges",
                        ],
                    ),
                ],
            ),
            (
                "Phone Accessories",
                [
                    (
                        "chargers-and-cables",
                        "Chargers & Cables",
                        ["Charger", "Charging Cable", "Power Bank", "Charging Stand"],
                        ["Fast", "Braided", "Travel", "Dual-Port", "Magnetic"],
                        ["USB-C", "Portable", "Compact"],
                        (9, 89),
                        [
                            "fast charging for phones and tablets",
                            "a cable rated for 10,000 bends",
                            "protection against overheating",
                            "a plug that folds flat",
                        ],
                    ),
                    (
                        "phone-cases",
                        "Phone Cases",
                        ["Phone Case", "Wallet Case", "Bumper", "Clear Case"],
                        ["Slim", "Rugged", "Leather", "Recycled", "Matte"],
                        ["Vegan Leather", "Recycled", "Lightweight"],
                        (12, 69),
                        [
                            "raised edges that protect the screen",
                            "a grippy, fingerprint-free finish",
                            "room for two cards",
                            "drop protection from two metres",
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "Home & Kitchen",
        [
            (
                "Kitchen",
                [
                    (
                        "cookware",
                        "Cookware",
                        ["Frying Pan", "Saucepan", "Dutch Oven", "Wok", "Stock Pot"],
                        ["Cast-Iron", "Non-Stick", "Copper", "Enamelled", "Tri-Ply"],
                        ["Stainless Steel", "Dishwasher Safe", "Premium"],
                        (24, 329),
                        [
                            "even heat on gas, electric and induction",
                            "a handle that stays cool",
                            "oven-safe up to 260 °C",
                            "a lifetime warranty",
                        ],
                    ),
                    (
                        "coffee-and-tea",
                        "Coffee & Tea",
                        ["French Press", "Pour-Over Set", "Burr Grinder", "Teapot", "Kettle"],
                        ["Classic", "Glass", "Gooseneck", "Manual", "Ceramic"],
                        ["Stainless Steel", "Handmade", "Dishwasher Safe"],
                        (14, 249),
                        [
                            "a fine mesh filter for a clean cup",
                            "precise pouring",
                            "twenty grind settings",
                            "heat-resistant borosilicate glass",
                        ],
                    ),
                ],
            ),
            (
                "Furniture",
                [
                    (
                        "chairs",
                        "Chairs",
                        ["Chair", "Armchair", "Stool", "Desk Chair"],
                        ["Oak", "Upholstered", "Stackable", "Scandinavian", "Rattan"],
                        ["Handmade", "Ergonomic", "Vintage"],
                        (49, 649),
                        [
                            "solid oak legs",
                            "a seat shaped for long dinners",
                            "felt pads that spare the floor",
                            "simple assembly in ten minutes",
                        ],
                    ),
                    (
                        "lamps",
                        "Lamps",
                        ["Table Lamp", "Floor Lamp", "Desk Lamp", "Pendant Light"],
                        ["Brass", "Dimmable", "Paper", "Industrial", "Ceramic"],
                        ["Handmade", "Vintage", "Eco-Friendly"],
                        (29, 289),
                        [
                            "warm, dimmable light",
                            "a weighted base",
                            "a fabric cable in three colours",
                            "an LED bulb included",
                        ],
                    ),
                ],
            ),
            (
                "Bed & Bath",
                [
                    (
                        "towels",
                        "Towels",
                        ["Bath Towel", "Towel Set", "Hand Towel", "Bath Sheet"],
                        ["Waffle", "Turkish", "Plush", "Quick-Dry", "Linen"],
                        ["Organic Cotton", "Machine Washable", "Eco-Friendly"],
                        (12, 119),
                        [
                            "long-staple cotton that gets softer with each wash",
                            "quick drying",
                            "a hanging loop",
                            "colours that do not fade",
                        ],
                    ),
                    (
                        "bed-linen",
                        "Bed Linen",
                        ["Duvet Cover", "Sheet Set", "Pillowcase Pair", "Quilt"],
                        ["Stonewashed", "Percale", "Sateen", "Linen", "Flannel"],
                        ["Organic Cotton", "Machine Washable", "Premium"],
                        (29, 259),
                        [
                            "a cool, breathable weave",
                            "hidden button closures",
                            "generous tuck-in depth",
                            "OEKO-TEX certified fabric",
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "Fashion",
        [
            (
                "Clothing",
                [
                    (
                        "t-shirts",
                        "T-Shirts",
                        ["T-Shirt", "Long-Sleeve Tee", "Pocket Tee", "Henley"],
                        ["Heavyweight", "Essential", "Slub", "Oversized", "Striped"],
                        ["Organic Cotton", "Machine Washable", "Recycled"],
                        (15, 59),
                        [
                            "a collar that keeps its shape",
                            "pre-shrunk fabric",
                            "a relaxed fit",
                            "reinforced shoulder seams",
                        ],
                    ),
                    (
                        "jackets",
                        "Jackets",
                        ["Rain Jacket", "Down Jacket", "Denim Jacket", "Field Jacket"],
                        ["Packable", "Insulated", "Waxed", "Classic", "Lightweight"],
                        ["Waterproof", "Lightweight", "Recycled"],
                        (59, 399),
                        [
                            "taped seams that keep the rain out",
                            "a hood that stows in the collar",
                            "two zipped hand pockets",
                            "a recycled lining",
                        ],
                    ),
                ],
            ),
            (
                "Shoes",
                [
                    (
                        "sneakers",
                        "Sneakers",
                        ["Sneakers", "Running Shoes", "Trainers", "Slip-Ons"],
                        ["Canvas", "Leather", "Retro", "Court", "Knit"],
                        ["Vegan Leather", "Lightweight", "Recycled"],
                        (39, 219),
                        [
                            "a cushioned footbed",
                            "a grippy rubber sole",
                            "a breathable upper",
                            "laces made from recycled bottles",
                        ],
                    ),
                    (
                        "boots",
                        "Boots",
                        ["Chelsea Boots", "Hiking Boots", "Work Boots", "Ankle Boots"],
                        ["Suede", "Waterproof", "Leather", "Lined", "Lug-Sole"],
                        ["Waterproof", "Handmade", "Premium"],
                        (79, 349),
                        [
                            "a Goodyear-welted sole that can be resoled",
                            "a waterproof membrane",
                            "a padded collar",
                            "full-grain leather",
                        ],
                    ),
                ],
            ),
            (
                "Accessories",
                [
                    (
                        "bags",
                        "Bags",
                        ["Tote Bag", "Backpack", "Crossbody Bag", "Weekender"],
                        ["Canvas", "Leather", "Roll-Top", "Minimal", "Everyday"],
                        ["Vegan Leather", "Waterproof", "Handmade"],
                        (25, 299),
                        [
                            "a padded laptop sleeve",
                            "brass hardware",
                            "an inner zip pocket",
                            "a strap that adjusts in seconds",
                        ],
                    ),
                    (
                        "watches",
                        "Watches",
                        ["Watch", "Chronograph", "Field Watch", "Dress Watch"],
                        ["Automatic", "Minimalist", "Diver", "Solar", "Classic"],
                        ["Stainless Steel", "Waterproof", "Premium"],
                        (49, 899),
                        [
                            "sapphire crystal glass",
                            "water resistance to 100 metres",
                            "a quick-release strap",
                            "luminous hands",
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "Sports & Outdoors",
        [
            (
                "Camping",
                [
                    (
                        "tents",
                        "Tents",
                        ["Tent", "Backpacking Tent", "Family Tent", "Tarp Shelter"],
                        ["Two-Person", "Ultralight", "Four-Season", "Pop-Up", "Dome"],
                        ["Waterproof", "Lightweight", "Portable"],
                        (69, 649),
                        [
                            "pitching in under five minutes",
                            "two doors and two porches",
                            "a fly rated to 3,000 mm",
                            "colour-coded poles",
                        ],
                    ),
                    (
                        "backpacks",
                        "Backpacks",
                        ["Hiking Pack", "Daypack", "Trekking Backpack", "Hydration Pack"],
                        ["30-Litre", "Ventilated", "Alpine", "Lightweight", "Trail"],
                        ["Waterproof", "Lightweight", "Recycled"],
                        (35, 279),
                        [
                            "an adjustable back system",
                            "a rain cover in the lid",
                            "hip-belt pockets",
                            "a sleeve for a water bladder",
                        ],
                    ),
                ],
            ),
            (
                "Fitness",
                [
                    (
                        "yoga-mats",
                        "Yoga Mats",
                        ["Yoga Mat", "Travel Mat", "Exercise Mat", "Yoga Block Set"],
                        ["Cork", "Non-Slip", "Natural Rubber", "Extra-Thick", "Foldable"],
                        ["Eco-Friendly", "Portable", "Lightweight"],
                        (19, 129),
                        [
                            "grip that holds even when damp",
                            "alignment lines",
                            "a carrying strap",
                            "cushioning for knees and wrists",
                        ],
                    ),
                    (
                        "dumbbells",
                        "Dumbbells",
                        ["Dumbbell Pair", "Adjustable Dumbbells", "Kettlebell", "Weight Plate Set"],
                        ["Hex", "Neoprene", "Cast-Iron", "Chrome", "Compact"],
                        ["Compact", "Premium"],
                        (19, 449),
                        [
                            "a knurled, non-slip handle",
                            "rubber ends that protect the floor",
                            "quick weight changes",
                            "a matching storage rack",
                        ],
                    ),
                ],
            ),
        ],
    ),
]

BRANDS = [
    "Aurora",
    "Nordlys",
    "Vega",
    "Kestrel",
    "Halden",
    "Marlow",
    "Tidewater",
    "Ember",
    "Juniper",
    "Atlas",
    "Solstice",
    "Fjord",
    "Cobalt",
    "Willow",
    "Basalt",
    "Linden",
]

COLOURS = [
    "Black",
    "Graphite",
    "Sand",
    "Forest Green",
    "Navy",
    "Terracotta",
    "Oat",
    "Slate Blue",
    "Rust",
    "Ivory",
]

REVIEWS_BY_RATING = {
    5: [
        ("Love it", "Exactly what I hoped for. The {noun} feels great and arrived quickly."),
        ("Excellent quality", "Well made and worth every cent. I would buy it again."),
        ("Perfect", "Use it every day and it still looks new."),
    ],
    4: [
        ("Very good", "Really happy with this {noun}; one small niggle, but nothing serious."),
        ("Solid choice", "Good value and nicely finished. Delivery took a day longer."),
        ("Recommended", "Does what it promises. The colour is a little darker than shown."),
    ],
    3: [
        ("It's fine", "Does the job, but I expected a bit more for the price."),
        ("Average", "Okay overall. The {noun} is decent but not special."),
    ],
    2: [
        ("Not great", "Started to show wear after a few weeks."),
        ("Disappointing", "The {noun} looked better in the photos."),
    ],
    1: [
        ("Sent it back", "Did not work as described; the shop refunded me quickly."),
        ("Poor", "Broke within a week. Would not buy again."),
    ],
}
