"""Which mentions the brand itself wrote: its official accounts, per platform, by author id or name
(case ignored, as the stores' Query.written_by: monitor/store/matching.handle)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.config.model import BrandConfig
from monitor.mention import Mention
from monitor.store.matching import handle


class OfficialAccounts:
    def __init__(self, brands: Iterable[BrandConfig]) -> None:
        self._by_platform: dict[str, dict[str, list[str]]] = {}
        for brand in brands:
            for platform, accounts in brand.official_accounts.items():
                table = self._by_platform.setdefault(platform, {})
                for account in accounts:
                    table.setdefault(handle(account), []).append(brand.name)

    def __bool__(self) -> bool:
        return bool(self._by_platform)

    def brands_of(self, mention: Mention) -> list[str]:
        """The brands whose official account wrote this mention (empty for everyone else)."""
        table = self._by_platform.get(mention.platform)
        if not table:
            return []
        found: list[str] = []
        for key in (mention.author.id, mention.author.name):
            for brand in table.get(handle(key), []) if key else []:
                if brand not in found:
                    found.append(brand)
        return found

    def is_official(self, mention: Mention, brand: str) -> bool:
        return brand in self.brands_of(mention)
