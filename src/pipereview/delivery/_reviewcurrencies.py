"""Why a team's amounts are not added: its deals are in more than one currency (possible in
a store written before ingest refused that), said in the review's language.

>>> h = pd.DataFrame({"snapshot_week": "2026-W47", "deal_key": ["k1", "k2", "k3"],
...     "deal_id": ["D1", "D2", "D3"], "deal_name": ["MES", "ERP", "WMS"],
...     "currency": ["USD", "USD", "EUR"]})
>>> mix = currency_mix(h, "North")
>>> print(mix.text("en"))  # doctest: +NORMALIZE_WHITESPACE
North holds deals in 2 currencies (EUR, USD); amounts in different currencies are never
added, so the sums are left out. Deals not in USD: WMS (D3, EUR). Convert them to one
currency in the exports (or give each currency its own team) and ingest again.
>>> print(mix.text("zh"))  # doctest: +NORMALIZE_WHITESPACE
North 的商机使用了 2 种币种（EUR、USD）；不同币种的金额从不相加，因此省略了合计。不是 USD
的商机：WMS（D3，EUR）。请在导出文件中把它们换算成同一币种（或为每个币种各设一个团队），然后重新导入。
>>> currency_mix(h[h["currency"] == "USD"], "North") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipereview.core._languages import check_language

__all__: list[str] = []  # reached through WeeklyReview (mixed_currencies, currency_mix)

#: The weeks a review sums over: the last 13 stored.
_WEEKS = 13
#: The deals outside the main currency named in the message.
_LISTED = 5


@dataclass(frozen=True)
class CurrencyMix:
    """A team's deals of the weeks a review sums in several currencies: the team, every
    currency (``""``: none given), the main one (most rows) and the deals outside it
    (name, ID, currency), the last row of each."""

    team: str
    currencies: tuple[str, ...]
    main: str
    others: tuple[tuple[str, str, str], ...]

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``: the team, the currencies, the deals outside the main
        one (the first five) and how to fix the exports."""
        check_language(lang)
        zh = lang == "zh"
        none = "无币种" if zh else "no currency"
        codes = ("、" if zh else ", ").join(c or ("无" if zh else "none") for c in self.currencies)
        deals = [
            f"{name}（{deal}，{code or none}）" if zh else f"{name} ({deal}, {code or none})"
            for name, deal, code in self.others[:_LISTED]
        ]
        extra = len(self.others) - _LISTED
        main = self.main or none
        if zh:
            more = f"，另有 {extra} 个" if extra > 0 else ""
            return (
                f"{self.team} 的商机使用了 {len(self.currencies)} 种币种（{codes}）；"
                f"不同币种的金额从不相加，因此省略了合计。不是 {main} 的商机："
                f"{'；'.join(deals)}{more}。请在导出文件中把它们换算成同一币种"
                "（或为每个币种各设一个团队），然后重新导入。"
            )
        more = f" and {extra} more" if extra > 0 else ""
        return (
            f"{self.team} holds deals in {len(self.currencies)} currencies ({codes}); amounts "
            f"in different currencies are never added, so the sums are left out. Deals not in "
            f"{main}: {'; '.join(deals)}{more}. Convert them to one currency in the exports "
            "(or give each currency its own team) and ingest again."
        )


def currency_mix(history: pd.DataFrame, team: str) -> CurrencyMix | None:
    """The currencies of ``team``'s deals (``history``: its keyed rows) over the last 13
    stored weeks, or None when they are in one currency."""
    weeks = sorted(history["snapshot_week"].astype("str").unique())[-_WEEKS:]
    rows = history[history["snapshot_week"].astype("str").isin(weeks)]
    codes = rows["currency"].astype("object").where(rows["currency"].notna(), "").astype(str)
    counts = codes.value_counts()
    if len(counts) < 2:
        return None
    main = str(counts.index[0])
    others = rows[codes != main].drop_duplicates("deal_key", keep="last")
    return CurrencyMix(
        team=team,
        currencies=tuple(sorted(str(c) for c in counts.index)),
        main=main,
        others=tuple(
            (str(name), str(deal), str(code))
            for name, deal, code in zip(
                others["deal_name"], others["deal_id"], codes[others.index], strict=True
            )
        ),
    )
