from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fanli.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from fanli.notices.services import attachment_renderer

        from .pdf import statement_pdf

        @attachment_renderer("statement_pdf")
        def statement(statement_id: int) -> tuple[str, bytes, str]:
            """The statement's PDF (in the active language), for notices that attach it."""
            from fanli.rebates.models import Statement

            found = Statement.objects.select_related("customer", "policy", "policy_version").get(pk=statement_id)
            return f"statement-{statement_id}.pdf", statement_pdf(found), "application/pdf"
