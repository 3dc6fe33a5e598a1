"""The scale curve (bench/scale.py): a database per catalog size, the queries' plans, and
bench/scale.md written from the kept runs."""

import json

import pytest

from bench import scale
from bench.run import DEFAULT_DATABASE_URL, Endpoint, database_url_for, queries_explain
from tests.factories import ProductFactory


def test_each_size_has_its_own_database_and_100000_keeps_the_old_one():
    assert database_url_for(100_000) == DEFAULT_DATABASE_URL
    assert database_url_for(1_000_000).endswith("/shop_bench_1000000")
    assert database_url_for(10_000).rsplit("/", 1)[0] == DEFAULT_DATABASE_URL.rsplit("/", 1)[0]


def run(products, *, list_p95, list_ratio, list_ms, search_ms, reused=False):
    return {
        "config": {"products": products, "seed": {"reused": reused, "seconds": 90.0}},
        "endpoints": [
            {"name": "healthz", "label": "/healthz/", "requests": 100, "requests_per_s": 1500.0,
             "p95_ms": 9.0, "ratio": 1.0},
            {"name": "api_list", "label": "API product list, page 1", "requests": 100,
             "requests_per_s": 700.0, "p95_ms": list_p95, "ratio": list_ratio},
            {"name": "search", "label": "API search", "requests": 0, "requests_per_s": 0.0,
             "p95_ms": 0.0, "ratio": 0.0},
        ],
        "explain": {
            "api_list": [{"ms": list_ms, "sql": "SELECT 1 FROM catalog_product",
                          "plan": "Seq Scan on catalog_product\nExecution Time: 1 ms"}],
            "search": [{"ms": search_ms, "sql": "SELECT 2", "plan": "Index Scan\n"}],
        },
    }  # fmt: skip


def test_the_table_has_a_column_per_size_and_the_plans_of_growing_queries():
    runs = [
        run(10_000, list_p95=20.0, list_ratio=0.5, list_ms=1.0, search_ms=2.0, reused=True),
        run(1_000_000, list_p95=35.5, list_ratio=0.45, list_ms=40.0, search_ms=2.5),
    ]
    text = scale.render(runs, notes="Added an index.")
    assert "| endpoint | 10,000: p95 ms / share | 1,000,000: p95 ms / share |" in text
    assert "| API product list, page 1 | 20.0 / 50% | 35.5 / 45% |" in text
    assert "| API search | - | - |" in text  # nothing answered: no numbers
    assert "10,000 in (reused), 1,000,000 in 1.5 min" in text
    # The list's query grew 40 times: shown with its plan; the search's did not.
    assert "### API product list, page 1: 1.0 ms at 10,000, 40.0 ms at 1,000,000" in text
    assert "Seq Scan on catalog_product" in text and "Index Scan" not in text
    assert text.rstrip().splitlines()[-3:-1] == ["Added an index.", ""]


def test_rendering_needs_a_kept_run_of_every_size(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(scale, "RESULTS", tmp_path)
    monkeypatch.setattr(scale, "SCALE_MD", tmp_path / "scale.md")
    monkeypatch.setattr(scale, "NOTES", tmp_path / "notes.md")
    small = run(10_000, list_p95=20.0, list_ratio=0.5, list_ms=1.0, search_ms=2.0)
    (tmp_path / "scale-10000.json").write_text(json.dumps(small))
    with pytest.raises(SystemExit, match="No kept run for 20,000"):
        scale.main(["--render", "--scales", "10000,20000"])
    assert scale.main(["--render", "--scales", "10000"]) == 0
    assert "| API product list, page 1 | 20.0 / 50% |" in (tmp_path / "scale.md").read_text()
    with pytest.raises(SystemExit):
        scale.main(["--render", "--scales", "many"])


@pytest.mark.postgresql
@pytest.mark.django_db
def test_every_query_of_a_cold_request_is_explained_slowest_first():
    ProductFactory.create_batch(3)
    found = queries_explain([Endpoint("api_list", "API product list", "/api/v1/products/")])
    plans = found["api_list"]
    assert 1 <= len(plans) <= 3
    assert all("Execution Time" in plan["plan"] for plan in plans)
    assert [plan["ms"] for plan in plans] == sorted((plan["ms"] for plan in plans), reverse=True)
    assert any("catalog_product" in plan["sql"] for plan in plans)
