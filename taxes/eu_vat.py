"""The EU member states' standard and reduced VAT rates (percent), as demo data and a
starting point: staff keep the TaxRate table current in the admin. Where a state has
several reduced rates, the one most goods of the reduced class pay; a state without a
reduced rate has none here (its reduced class pays the standard rate)."""

from decimal import Decimal as D

EU_VAT_RATES: dict[str, tuple[D, D | None]] = {
    "AT": (D("20"), D("10")),
    "BE": (D("21"), D("6")),
    "BG": (D("20"), D("9")),
    "CY": (D("19"), D("5")),
    "CZ": (D("21"), D("12")),
    "DE": (D("19"), D("7")),
    "DK": (D("25"), None),
    "EE": (D("24"), D("9")),
    "ES": (D("21"), D("10")),
    "FI": (D("25.5"), D("14")),
    "FR": (D("20"), D("5.5")),
    "GR": (D("24"), D("13")),
    "HR": (D("25"), D("13")),
    "HU": (D("27"), D("5")),
    "IE": (D("23"), D("13.5")),
    "IT": (D("22"), D("10")),
    "LT": (D("21"), D("9")),
    "LU": (D("17"), D("8")),
    "LV": (D("21"), D("12")),
    "MT": (D("18"), D("5")),
    "NL": (D("21"), D("9")),
    "PL": (D("23"), D("8")),
    "PT": (D("23"), D("6")),
    "RO": (D("21"), D("11")),
    "SE": (D("25"), D("12")),
    "SI": (D("22"), D("9.5")),
    "SK": (D("23"), D("19")),
}
