//! Money and its display: amounts kept exactly in the currency's minor
//! units (never floats), formatted by locale with CLDR rules through ICU4X
//! (`$1,299.00`, `1.299,00 €`, `₹1,29,999.00`, right-to-left marks for
//! Arabic and Hebrew).

use icu_experimental::dimension::currency::CurrencyCode;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use writeable::Writeable;

/// Digits after the decimal point of an ISO 4217 currency. ISO 4217's
/// exceptions to two digits (the standard's "minor unit" column), for the
/// currencies in use; everything else has two.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// ISO 4217's currencies in use (the standard's list, less the codes that
/// are not money a shop sells in: metals, bond units, testing, "no currency").
pub const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF",
    "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD",
    "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF",
    "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// The largest price, in whole units of any currency: 999,999,999 and its
/// decimals. With it, no claim total can overflow (`Money::times`).
pub const MAX_WHOLE_UNITS: i64 = 999_999_999;

/// Why a price, currency or locale was refused; the words say what to write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// `hint` is " (did you mean EUR?)" or empty.
    #[error("currency \"{currency}\" is not an ISO 4217 code like USD, EUR or JPY{hint}")]
    Currency { currency: String, hint: String },
    #[error("price \"{0}\" is negative: a price is 0 or more")]
    Negative(String),
    #[error("price \"{0}\" is not a number like 39.90 (no currency signs or thousands separators)")]
    NotANumber(String),
    #[error("price \"{text}\" has more decimals than {currency} has ({digits})")]
    Decimals {
        text: String,
        currency: String,
        digits: u32,
    },
    #[error("price \"{0}\" is over the largest price, {MAX_WHOLE_UNITS}")]
    TooLarge(String),
    #[error("locale \"{0}\" is not a language tag like en-US or de-DE")]
    Locale(String),
    #[error("no price formats for locale \"{locale}\": {detail}")]
    NoFormats { locale: String, detail: String },
}

/// Checks a currency code against ISO 4217; the error says what to write.
pub fn currency_code(currency: &str) -> Result<tinystr::TinyAsciiStr<3>, PriceError> {
    let code = currency.trim().to_ascii_uppercase();
    if !ISO_4217.contains(&code.as_str()) {
        let hint = crate::hint::did_you_mean(&code, ISO_4217.iter().copied())
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        return Err(PriceError::Currency {
            currency: currency.to_string(),
            hint,
        });
    }
    // Every ISO 4217 code is 3 ASCII letters.
    tinystr::TinyAsciiStr::<3>::try_from_str(&code).map_err(|_| PriceError::Currency {
        currency: currency.to_string(),
        hint: String::new(),
    })
}

/// An amount of one currency, in its minor units (cents, fils, yen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    pub minor: i64,
    pub currency: tinystr::TinyAsciiStr<3>,
}

impl Money {
    /// Parses "39", "39.9", "1299.00" in `currency` (an ISO 4217 code).
    /// A price is never negative and at most [`MAX_WHOLE_UNITS`]; more
    /// decimals than the currency has, thousands separators or anything
    /// else is refused with the reason.
    pub fn parse(text: &str, currency: &str) -> Result<Money, PriceError> {
        let currency = currency_code(currency)?;
        let code = currency.as_str();
        let digits = minor_digits(code);
        let t = text.trim();
        if t.starts_with('-') {
            return Err(PriceError::Negative(text.to_string()));
        }
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let ok =
            !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(PriceError::NotANumber(text.to_string()));
        }
        if frac.len() > digits as usize {
            return Err(PriceError::Decimals {
                text: text.to_string(),
                currency: code.to_string(),
                digits,
            });
        }
        let scale = 10i64.pow(digits);
        let too_large = || PriceError::TooLarge(text.to_string());
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        if whole > MAX_WHOLE_UNITS {
            return Err(too_large());
        }
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().unwrap_or(0) * 10i64.pow(digits - frac.len() as u32)
        };
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_value))
            .ok_or_else(too_large)?;
        Ok(Money { minor, currency })
    }

    /// `minor` units of `currency` (a sum or an average, not a price read
    /// from a catalog: no bounds but the currency's code).
    pub fn from_minor(minor: i64, currency: &str) -> Result<Money, PriceError> {
        Ok(Money {
            minor,
            currency: currency_code(currency)?,
        })
    }

    /// `quantity` of this price, exactly; None if it would overflow (it
    /// cannot for a claim: prices are at most [`MAX_WHOLE_UNITS`] and a
    /// claim at most `ledger::MAX_CLAIM_QUANTITY` items).
    pub fn times(&self, quantity: u32) -> Option<Money> {
        Some(Money {
            minor: self.minor.checked_mul(i64::from(quantity))?,
            currency: self.currency,
        })
    }

    /// The amount as a plain decimal ("39.00", "1299", "-0.500"), with all
    /// of the currency's decimals: the form catalogs are written in.
    pub fn decimal(&self) -> String {
        let digits = minor_digits(self.currency.as_str());
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(digits);
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
    }

    /// The percentage off a compare-at price, rounded down ("-25%" for 30
    /// instead of 40); None when there is no discount or the currencies differ.
    pub fn percent_off(&self, compare_at: &Money) -> Option<u32> {
        if self.currency != compare_at.currency || compare_at.minor <= 0 || self.minor >= compare_at.minor {
            return None;
        }
        let off = (compare_at.minor - self.minor) * 100 / compare_at.minor;
        (off > 0).then_some(off as u32)
    }
}

/// Formats money for one locale (a BCP 47 tag such as "en-US" or "de-DE").
pub struct PriceFormatter {
    formatter: CurrencyFormatter,
}

impl PriceFormatter {
    pub fn new(locale: &str) -> Result<PriceFormatter, PriceError> {
        let tag: icu_locale_core::Locale = locale.parse().map_err(|_| PriceError::Locale(locale.to_string()))?;
        let formatter =
            CurrencyFormatter::try_new(tag.into(), Default::default()).map_err(|e| PriceError::NoFormats {
                locale: locale.to_string(),
                detail: e.to_string(),
            })?;
        Ok(PriceFormatter { formatter })
    }

    /// The amount with all of its currency's decimals ("39,90 €", "¥1,299").
    pub fn format(&self, money: &Money) -> String {
        let digits = minor_digits(money.currency.as_str()) as i16;
        let mut value = fixed_decimal::Decimal::from(money.minor);
        value.multiply_pow10(-digits);
        value.absolute.pad_end(-digits);
        self.formatter
            .format_fixed_decimal(&value, &CurrencyCode(money.currency))
            .write_to_string()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(locale: &str, amount: &str, currency: &str) -> String {
        PriceFormatter::new(locale)
            .unwrap()
            .format(&Money::parse(amount, currency).unwrap())
    }

    #[test]
    fn prices_follow_each_locales_rules() {
        // NBSP (U+00A0) and the right-to-left mark (U+200F) are CLDR's.
        let table = [
            ("en-US", "1299", "USD", "$1,299.00"),
            ("de-DE", "1299", "EUR", "1.299,00\u{a0}€"),
            ("fr-FR", "39.9", "EUR", "39,90\u{a0}€"),
            ("en-US", "1299", "JPY", "¥1,299"),
            ("ja-JP", "1299", "JPY", "￥1,299"),
            ("en-IN", "129999", "INR", "₹1,29,999.00"),
            ("pt-BR", "1299.5", "BRL", "R$\u{a0}1.299,50"),
            ("en-GB", "39", "GBP", "£39.00"),
            ("ar-EG", "1299", "EGP", "\u{200f}١٬٢٩٩٫٠٠\u{a0}ج.م.\u{200f}"),
            ("he-IL", "39", "ILS", "\u{200f}39.00\u{a0}\u{200f}₪"),
            ("en-US", "12.5", "KWD", "KWD\u{a0}12.500"),
        ];
        for (locale, amount, currency, want) in table {
            assert_eq!(fmt(locale, amount, currency), want, "{locale} {amount} {currency}");
        }
    }

    #[test]
    fn amounts_are_exact_and_mistakes_are_explained() {
        assert_eq!(Money::parse("39.90", "usd").unwrap().minor, 3990);
        assert_eq!(Money::parse("1299", "JPY").unwrap().minor, 1299);
        assert_eq!(Money::parse("0.1", "KWD").unwrap().minor, 100);
        assert!(
            Money::parse("39.999", "EUR")
                .unwrap_err()
                .to_string()
                .contains("more decimals than EUR has (2)")
        );
        assert!(
            Money::parse("12.5", "JPY")
                .unwrap_err()
                .to_string()
                .contains("more decimals than JPY has (0)")
        );
        assert!(
            Money::parse("$39", "USD")
                .unwrap_err()
                .to_string()
                .contains("not a number like 39.90")
        );
        assert!(
            Money::parse("1,299", "USD")
                .unwrap_err()
                .to_string()
                .contains("thousands separators")
        );
        assert!(
            Money::parse("39", "dollars")
                .unwrap_err()
                .to_string()
                .contains("not an ISO 4217 code")
        );
        assert!(PriceFormatter::new("not a locale!").is_err());
        assert!(
            Money::parse("5", "ZZZ")
                .unwrap_err()
                .to_string()
                .contains("not an ISO 4217 code")
        );
        assert!(
            Money::parse("5", "EUO")
                .unwrap_err()
                .to_string()
                .contains("did you mean EUR?")
        );
        assert!(
            Money::parse("-5", "USD")
                .unwrap_err()
                .to_string()
                .contains("is negative")
        );
        assert!(Money::parse("-0", "USD").is_err());
        assert!(
            Money::parse("92233720368547758.07", "USD")
                .unwrap_err()
                .to_string()
                .contains("over the largest price")
        );
        assert!(Money::parse("1000000000", "USD").is_err());
        let max = Money::parse("999999999.9999", "CLF").unwrap();
        // The largest price times the most items a claim can hold: exact.
        // (100,000: the most a claim holds, chat::ledger::MAX_CLAIM_QUANTITY.)
        let q = 100_000;
        assert_eq!(max.times(q).unwrap().minor, 9_999_999_999_999 * i64::from(q));
        assert_eq!(max.times(u32::MAX), None, "checked, never wrapped");
        assert_eq!(
            Money::parse("39.00", "USD").unwrap().times(3).unwrap().decimal(),
            "117.00"
        );
        assert_eq!(Money::parse("0", "USD").unwrap().minor, 0);
    }

    #[test]
    fn discounts_are_whole_percent_off() {
        let m = |a| Money::parse(a, "USD").unwrap();
        assert_eq!(m("30").percent_off(&m("40")), Some(25));
        assert_eq!(m("39.99").percent_off(&m("59.99")), Some(33));
        assert_eq!(m("40").percent_off(&m("40")), None);
        assert_eq!(m("45").percent_off(&m("40")), None);
        assert_eq!(m("30").percent_off(&Money::parse("40", "EUR").unwrap()), None);
    }
}
