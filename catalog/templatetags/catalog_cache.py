"""`{% product_fragment "name" %}...{% endproduct_fragment %}`: a part of the product page
that shows the product only (never the visitor), taken from the `fragments` of the
context (catalog.caching.ProductFragments, read with the product in one round trip) or
rendered and stored there. Without `fragments` in the context it renders as is."""

from django import template

register = template.Library()


class ProductFragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> str:
        fragments = context.get("fragments")
        if fragments is None:
            return self.nodelist.render(context)
        html = fragments.get(self.name)
        if html is None:
            html = self.nodelist.render(context)
            fragments.store(self.name, html)
        return html


@register.tag("product_fragment")
def product_fragment(parser: template.base.Parser, token: template.base.Token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('Use {% product_fragment "name" %}.')
    nodelist = parser.parse(("endproduct_fragment",))
    parser.delete_first_token()
    return ProductFragmentNode(nodelist, bits[1][1:-1])
