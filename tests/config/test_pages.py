import pytest


@pytest.mark.django_db
def test_home_page_has_the_storefront_header_and_footer(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'role="search"' in html and 'name="q"' in html
    assert 'class="cart-link"' in html
    assert "Sign in" in html and "Sign up" in html
    assert "site-footer" in html


@pytest.mark.django_db
def test_static_files_are_hashed_and_served_by_whitenoise(client):
    """DEBUG is off in tests, as in production: pages link hashed static names and
    whitenoise serves them with a long cache lifetime."""
    import re

    html = client.get("/").content.decode()
    match = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
    assert match, "the stylesheet link is not a hashed static name"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert b"--brand" in b"".join(response.streaming_content)
