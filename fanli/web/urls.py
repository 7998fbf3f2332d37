from django.contrib.auth import views as auth_views
from django.urls import path

from . import audit, dashboard, discounts, disputes, imports, jobs, policies, settlement, views
from .login import ThrottledLoginView

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("office/", dashboard.dashboard, name="dashboard"),
    path("office/statements/", views.statements, name="statements"),
    path("office/statements/approve/", views.statements_approve, name="statements_approve"),
    path("office/statements/export.xlsx", settlement.statements_export, name="statements_export"),
    path("office/statements/<int:statement_id>/", views.statement_detail, name="statement"),
    path("office/statements/<int:statement_id>/print/", settlement.statement_print, name="statement_print"),
    path("office/statements/<int:statement_id>/approve/", views.statement_approve_view, name="statement_approve"),
    path("office/statements/<int:statement_id>/pay/", views.statement_pay, name="statement_pay"),
    path("office/statements/<int:statement_id>/dispute/", views.statement_dispute_view, name="statement_dispute"),
    path("office/customers/", views.customers, name="customers"),
    path("office/customers/<str:code>/", views.customer_detail, name="customer"),
    path("office/policies/", policies.policy_list, name="policies"),
    path("office/policies/new/", policies.policy_edit, name="policy_new"),
    path("office/policies/<slug:code>/", policies.policy_detail, name="policy"),
    path("office/policies/<slug:code>/edit/", policies.policy_edit, name="policy_edit"),
    path("office/policies/<slug:code>/diff/", policies.policy_diff, name="policy_diff"),
    path("office/policies/<slug:code>/v<int:number>/", policies.policy_version, name="policy_version"),
    path("office/policies/<slug:code>/v<int:number>/preview/", policies.policy_version_preview, name="policy_preview"),
    path("office/policies/<slug:code>/v<int:number>/publish/", policies.policy_version_publish_view,
         name="policy_publish"),
    path("office/discounts/", discounts.discount_rules, name="discounts"),
    path("office/discounts/quote/", discounts.discount_quote, name="discount_quote"),
    path("office/audit/", audit.audit_log, name="audit"),
    path("office/disputes/", disputes.dispute_list, name="disputes"),
    path("office/disputes/<int:dispute_id>/", disputes.dispute_detail, name="dispute"),
    path("office/disputes/<int:dispute_id>/message/", disputes.dispute_message, name="dispute_message"),
    path("office/disputes/<int:dispute_id>/propose/", disputes.dispute_propose, name="dispute_propose"),
    path("office/disputes/<int:dispute_id>/decide/", disputes.dispute_decide, name="dispute_decide"),
    path("office/disputes/<int:dispute_id>/confirm/", disputes.dispute_confirm_view, name="dispute_confirm"),
    path("office/imports/", imports.imports, name="imports"),
    path("office/imports/upload/", imports.import_upload, name="import_upload"),
    path("office/imports/commit/", imports.import_commit, name="import_commit"),
    path("office/settlement/", settlement.workspace, name="settlement"),
    path("office/settlement/run/", settlement.run_start, name="settlement_run"),
    path("office/jobs/<int:job_id>/", jobs.job_detail, name="job"),
    path("portal/", views.portal_home, name="portal"),
    path("portal/statements/<int:statement_id>/", views.portal_statement, name="portal_statement"),
    path("portal/statements/<int:statement_id>/print/", settlement.portal_statement_print, name="portal_statement_print"),
    path("portal/statements/<int:statement_id>/dispute/message/", disputes.portal_dispute_message,
         name="portal_dispute_message"),
    path("portal/statements/<int:statement_id>/dispute/", views.portal_dispute, name="portal_dispute"),
]
