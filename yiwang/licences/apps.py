"""E-licence room (电子证照与电子印章): licence types, licences, seals, verification."""

from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from yiwang.core.actions.keys import register_encrypted_column
        from yiwang.licences.models import SEAL_KEY_CONTEXT

        # Seal private keys are SM4-encrypted like department keys: rotate them too.
        register_encrypted_column("licences.Seal", "sm2_private_enc", SEAL_KEY_CONTEXT)
