"""AI-provider secrets (encrypted at rest) and organization settings."""

from __future__ import annotations

import copy
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from openloop.errors import Conflict, InvalidInput, NotFound
from openloop.store.control._base import StoreBase, clean_json_dict, clean_name
from openloop.store.control.identity import org_row
from openloop.store.control.records import PROVIDER_KINDS, Provider
from openloop.store.control.schema import OrgSettingsRow, ProviderSecretRow, utcnow

logger = logging.getLogger(__name__)

#: What an organization's settings hold before anyone changes them.
ORG_SETTINGS_DEFAULTS: dict[str, Any] = {
    # Models Loop may use ("provider_name:model"); empty means every configured model.
    "loop_models": [],
    # Run Loop's changing tools without asking for approval.
    "auto_accept": False,
}


def _models(models: list[str] | None) -> list[str]:
    if models is None:
        return []
    if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
        raise InvalidInput("models must be a list of non-empty model names")
    return list(dict.fromkeys(m.strip() for m in models))


def _base_url(provider: str, base_url: str | None) -> str | None:
    if base_url is None or not base_url.strip():
        if provider == "openai_compatible":
            raise InvalidInput(
                "an openai_compatible provider needs base_url, e.g. http://localhost:11434/v1",
                field="base_url",
            )
        return None
    base_url = base_url.strip()
    if not base_url.startswith(("http://", "https://")) or len(base_url) > 2048:
        raise InvalidInput("base_url must be an http:// or https:// URL", field="base_url")
    return base_url.rstrip("/")


def _org_settings(value: dict[str, Any]) -> dict[str, Any]:
    merged = {**copy.deepcopy(ORG_SETTINGS_DEFAULTS), **value}
    models = merged["loop_models"]
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise InvalidInput("loop_models must be a list of model names", field="loop_models")
    if not isinstance(merged["auto_accept"], bool):
        raise InvalidInput("auto_accept must be true or false", field="auto_accept")
    return merged


class ProvidersMixin(StoreBase):
    def set_provider(
        self,
        org_id: str,
        name: str,
        provider: str,
        *,
        api_key: str | None,
        base_url: str | None = None,
        models: list[str] | None = None,
    ) -> Provider:
        """Create or replace the provider called ``name``. ``api_key=None`` keeps the stored key
        (none for a new provider); ``""`` removes it. Everything else is replaced."""
        name = clean_name(name, "provider name")
        if provider not in PROVIDER_KINDS:
            raise InvalidInput(
                f"unknown provider {provider!r}; use one of {', '.join(PROVIDER_KINDS)}",
                field="provider",
            )
        url = _base_url(provider, base_url)
        model_list = _models(models)
        encrypted = self._box.encrypt(api_key) if api_key else None
        try:
            with self._write() as s:
                org_row(s, org_id)
                row = s.scalar(
                    select(ProviderSecretRow).where(
                        ProviderSecretRow.org_id == org_id, ProviderSecretRow.name == name
                    )
                )
                if row is None:
                    row = ProviderSecretRow(org_id=org_id, name=name)
                    s.add(row)
                row.provider = provider
                row.base_url = url
                row.models = model_list
                if api_key is not None:
                    row.encrypted_key = encrypted
                row.updated = utcnow()
                s.flush()
                record = Provider.of(row)
        except IntegrityError as exc:
            raise Conflict(f"provider {name!r} was just created by someone else; retry") from exc
        logger.info("control.provider_set org=%s name=%s has_key=%s", org_id, name, record.has_key)
        return record

    def list_providers(self, org_id: str) -> list[Provider]:
        with self._read() as s:
            rows = s.scalars(
                select(ProviderSecretRow)
                .where(ProviderSecretRow.org_id == org_id)
                .order_by(ProviderSecretRow.name)
            ).all()
            return [Provider.of(r) for r in rows]

    def get_provider(self, org_id: str, name: str) -> Provider:
        with self._read() as s:
            return Provider.of(self._provider_row(s, org_id, name))

    def get_provider_key(self, org_id: str, name: str) -> str | None:
        """The decrypted key of provider ``name`` (None when it has none)."""
        with self._read() as s:
            encrypted = self._provider_row(s, org_id, name).encrypted_key
        if encrypted is None:
            return None
        return self._box.decrypt(encrypted, what=f"the key of provider {name!r}")

    def delete_provider(self, org_id: str, name: str) -> None:
        with self._write() as s:
            result = s.execute(
                delete(ProviderSecretRow).where(
                    ProviderSecretRow.org_id == org_id, ProviderSecretRow.name == name
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"provider {name!r} not found")
        logger.info("control.provider_deleted org=%s name=%s", org_id, name)

    @staticmethod
    def _provider_row(s: Any, org_id: str, name: str) -> ProviderSecretRow:
        row = s.scalar(
            select(ProviderSecretRow).where(
                ProviderSecretRow.org_id == org_id, ProviderSecretRow.name == name
            )
        )
        if row is None:
            raise NotFound(f"provider {name!r} not found")
        return row

    # -- organization settings ---------------------------------------------------------------

    def get_org_settings(self, org_id: str) -> dict[str, Any]:
        """The org's settings over :data:`ORG_SETTINGS_DEFAULTS`."""
        with self._read() as s:
            org_row(s, org_id)
            row = s.get(OrgSettingsRow, org_id)
            stored = dict(row.settings) if row is not None else {}
        return {**copy.deepcopy(ORG_SETTINGS_DEFAULTS), **stored}

    def set_org_settings(self, org_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Replace the org's settings (missing keys fall back to defaults); returns them."""
        value = _org_settings(clean_json_dict(settings, "organization settings"))
        with self._write() as s:
            org_row(s, org_id)
            row = s.get(OrgSettingsRow, org_id)
            if row is None:
                s.add(OrgSettingsRow(org_id=org_id, settings=value))
            else:
                row.settings = value
        return copy.deepcopy(value)
