"""Every operators' command explains itself with --help."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    "seed_demo": ["--products", "--staff-email"],
    "import_products": ["FILE.csv", "--shop", "--update", "--dry-run", "stock_quantity"],
    "export_orders": ["--from", "--to", "--status", "--output", "refunded_total"],
    "expire_reservations": ["reservation"],
    "sales_report": ["--from", "--to", "--group-by", "{day,shop,category,product,variant}"],
    "create_shop_owner": ["EMAIL", "--shop", "--password"],
    "seed_orders": ["--orders", "--patterns"],
    "update_recommendations": ["--rebuild", "--settle"],
    "evaluate_recommendations": ["--holdout", "--min-support", "--json"],
    "backup": ["--to", "--keep", "pg_dump"],
    "restore": ["--from", "--list", "empty database"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_has_help(name):
    command = load_command_class(get_commands()[name], name)
    text = command.create_parser("manage.py", name).format_help()
    assert command.help
    for word in COMMANDS[name]:
        assert word in text


def test_help_runs_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "import_products", "--help"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_ENV_FILE": "", "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: manage.py import_products" in result.stdout
