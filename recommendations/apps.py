from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from catalog import late_parts
        from recommendations.templatetags.recommendation_tags import LATE_PART, render_late

        # The cached whole product page gets its recommendations when it is sent.
        late_parts.register(LATE_PART, render_late)
