from rest_framework.pagination import PageNumberPagination as DRFPageNumberPagination


class PageNumberPagination(DRFPageNumberPagination):
    """`?page=N&page_size=M`; a page size over the maximum is treated as the maximum."""

    page_size_query_param = "page_size"
    max_page_size = 100
