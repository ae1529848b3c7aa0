"""Core staff pages: inbox, cases, audit, staff directory, 窗口实名核验."""

from django.urls import path

from yiwang.core.views import audit, identity, inbox, messages, relying_parties, staff

urlpatterns: list = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("cases/<int:pk>/", inbox.case_detail, name="case"),
    path(
        "cases/<int:pk>/attachments/<int:attachment_id>/",
        inbox.attachment,
        name="case-attachment",
    ),
    path("messages/", messages.message_list, name="messages"),
    path("org/staff/", staff.staff_list, name="staff-list"),
    path("org/staff/<int:pk>/", staff.staff_member, name="staff-member"),
    path("org/identity/", identity.identity_window, name="identity-window"),
    path("org/relying-parties/", relying_parties.relying_party_list, name="relying-parties"),
    path("org/relying-parties/<int:pk>/", relying_parties.relying_party, name="relying-party"),
    path("audit/", audit.audit_search, name="audit-search"),
    path("audit/entries/<int:entry_id>/", audit.audit_entry, name="audit-entry"),
]
