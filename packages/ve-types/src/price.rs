//! Exact conversion between on-chain amounts (smallest denomination, an
//! integer) and Waldur's decimal price strings. No floats: the reference
//! implementation's `float64` round trip loses precision above 2^53.

use cosmwasm_std::Uint128;
use thiserror::Error;

/// Waldur prices are shown with at least this many fractional digits
/// (the specification formats with `%.6f`).
pub const WALDUR_MIN_FRACTION_DIGITS: usize = 6;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    #[error("invalid price {0:?}: expected digits with an optional '.' and fraction")]
    Malformed(String),
    #[error("price {price:?} is more precise than the denom's {decimals} decimals")]
    TooPrecise { price: String, decimals: u32 },
    #[error("price {0:?} overflows a 128-bit amount")]
    Overflow(String),
}

/// `50000` with 6 decimals -> `"0.050000"`. Exact for every amount and
/// number of decimals; shows `max(decimals, 6)` fractional digits.
pub fn to_waldur_price(amount: Uint128, decimals: u32) -> String {
    let decimals = decimals as usize;
    let digits = amount.u128().to_string();
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let mut fraction = fraction.to_string();
    while fraction.len() < WALDUR_MIN_FRACTION_DIGITS {
        fraction.push('0');
    }
    format!("{whole}.{fraction}")
}

/// `"0.05"` with 6 decimals -> `50000`. Rejects signs, exponents and any
/// non-zero digit beyond the denom's precision instead of rounding.
pub fn from_waldur_price(price: &str, decimals: u32) -> Result<Uint128, PriceError> {
    let malformed = || PriceError::Malformed(price.to_string());
    let (whole, fraction) = match price.split_once('.') {
        Some((w, f)) => (w, f),
        None => (price, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(malformed());
    }
    if price.contains('.') && fraction.is_empty() {
        return Err(malformed());
    }
    let decimals_usize = decimals as usize;
    let (kept, dropped) = fraction.split_at(fraction.len().min(decimals_usize));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(PriceError::TooPrecise {
            price: price.to_string(),
            decimals,
        });
    }
    let overflow = || PriceError::Overflow(price.to_string());
    let scale = 10u128.checked_pow(decimals).ok_or_else(overflow)?;
    let whole: u128 = whole.parse().map_err(|_| overflow())?;
    let kept_value: u128 = if kept.is_empty() {
        0
    } else {
        kept.parse().map_err(|_| overflow())?
    };
    // `kept` has at most `decimals` digits; scale it up to exactly that many.
    let kept_scale = 10u128
        .checked_pow((decimals_usize - kept.len()) as u32)
        .ok_or_else(overflow)?;
    whole
        .checked_mul(scale)
        .and_then(|w| {
            kept_value
                .checked_mul(kept_scale)
                .and_then(|f| w.checked_add(f))
        })
        .map(Uint128::new)
        .ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_spec_example() {
        assert_eq!(to_waldur_price(Uint128::new(50_000), 6), "0.050000");
        assert_eq!(to_waldur_price(Uint128::new(10_000), 6), "0.010000");
        assert_eq!(to_waldur_price(Uint128::new(1_234_567), 6), "1.234567");
        assert_eq!(to_waldur_price(Uint128::zero(), 6), "0.000000");
        assert_eq!(to_waldur_price(Uint128::new(5), 0), "5.000000");
        assert_eq!(to_waldur_price(Uint128::new(1), 18), "0.000000000000000001");
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(from_waldur_price("0.05", 6), Ok(Uint128::new(50_000)));
        assert_eq!(from_waldur_price("0.050000", 6), Ok(Uint128::new(50_000)));
        assert_eq!(from_waldur_price("12", 6), Ok(Uint128::new(12_000_000)));
        assert_eq!(
            from_waldur_price("1.0000000", 6),
            Ok(Uint128::new(1_000_000))
        );
        // 2^53 + 1 survives, which a float64 round trip would not.
        assert_eq!(
            from_waldur_price("9007199254740993", 0),
            Ok(Uint128::new(9_007_199_254_740_993))
        );
    }

    #[test]
    fn round_trips_every_magnitude() {
        for decimals in [0u32, 6, 18] {
            for amount in [0u128, 1, 999_999, 50_000, 10u128.pow(20) + 7, u128::MAX] {
                let s = to_waldur_price(Uint128::new(amount), decimals);
                assert_eq!(
                    from_waldur_price(&s, decimals),
                    Ok(Uint128::new(amount)),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_prices() {
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e6", "1.2.3", "0x10", " 1", "1,5",
        ] {
            assert_eq!(
                from_waldur_price(bad, 6),
                Err(PriceError::Malformed(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            from_waldur_price("0.0000001", 6),
            Err(PriceError::TooPrecise {
                price: "0.0000001".into(),
                decimals: 6
            })
        );
        assert!(matches!(
            from_waldur_price("340282366920938463463374607431768211456", 0),
            Err(PriceError::Overflow(_))
        ));
        assert!(matches!(
            from_waldur_price("1", 39),
            Err(PriceError::Overflow(_))
        ));
    }
}
