//! Line arithmetic: the surcharge folded into the unit price, the line total and how far it may
//! be from Moment's because of rounding. All in [`Decimal`], rounded half away from zero.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals of money amounts (line and invoice totals).
pub const MONEY_DECIMALS: u32 = 2;

/// DK+ stores numbers as doubles: at most this many significant digits survive exactly.
pub const DKPLUS_SIGNIFICANT_DIGITS: u32 = 15;

/// How many digits `value` needs once trailing decimal zeros are dropped (`20812.50` → 6,
/// `0.0012` → 2, `1000` → 4, `0` → 0).
pub(crate) fn significant_digits(value: Decimal) -> u32 {
    // Counted as the DK+ client counts before sending (a whole number's trailing zeros count),
    // so what the rules accept the client sends.
    let mantissa = value.normalize().mantissa().unsigned_abs();
    if mantissa == 0 {
        return 0;
    }
    mantissa.ilog10() + 1
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

fn round(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// The unit price with the surcharge folded in: `unit_price × (1 + surcharge/100)`, rounded half
/// away from zero to `decimals`. `None` only when the arithmetic overflows.
///
/// ```
/// use moment_dkplus_mapping::rules::fold_surcharge;
/// use rust_decimal::Decimal;
/// let price = fold_surcharge(Decimal::new(10000, 2), Some(Decimal::new(125, 1)), 2);
/// assert_eq!(price, Some(Decimal::new(11250, 2))); // 100.00 + 12.5 % = 112.50
/// ```
pub fn fold_surcharge(
    unit_price: Decimal,
    surcharge_percent: Option<Decimal>,
    decimals: u32,
) -> Option<Decimal> {
    let factor = HUNDRED.checked_add(surcharge_percent.unwrap_or(Decimal::ZERO))?;
    let raw = unit_price.checked_mul(factor)?.checked_div(HUNDRED)?;
    Some(round(raw, decimals))
}

/// The line total DK+ computes: `quantity × unit_price × (1 − discount/100)`, rounded half away
/// from zero to [`MONEY_DECIMALS`]. `None` only when the arithmetic overflows.
pub fn line_total(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Option<Decimal>,
) -> Option<Decimal> {
    let factor = HUNDRED.checked_sub(discount_percent.unwrap_or(Decimal::ZERO))?;
    let raw = quantity
        .checked_mul(unit_price)?
        .checked_mul(factor)?
        .checked_div(HUNDRED)?;
    Some(round(raw, MONEY_DECIMALS))
}

/// How far a mapped line total may be from Moment's line total because of rounding alone.
///
/// Rounding the unit price to `price_decimals` moves each unit by at most half a unit of the last
/// decimal, so the line by `|quantity| × (1 − discount/100) × ½·10^-price_decimals`; each of the
/// two totals is itself rounded to cents (½ cent each). A larger difference is a warning.
pub fn line_tolerance(
    quantity: Decimal,
    discount_percent: Option<Decimal>,
    price_decimals: u32,
) -> Decimal {
    let half_unit = Decimal::new(5, price_decimals.saturating_add(1).min(28));
    let kept = (HUNDRED
        - discount_percent
            .unwrap_or(Decimal::ZERO)
            .clamp(Decimal::ZERO, HUNDRED))
        / HUNDRED;
    let from_price = quantity
        .abs()
        .checked_mul(kept)
        .and_then(|q| q.checked_mul(half_unit))
        .unwrap_or(Decimal::MAX);
    from_price.saturating_add(Decimal::new(1, MONEY_DECIMALS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn surcharge_table() {
        // (unit price, surcharge %, decimals, expected)
        let cases = [
            (dec!(100), None, 2, dec!(100)),
            (dec!(100), Some(dec!(0)), 2, dec!(100)),
            (dec!(100), Some(dec!(10)), 2, dec!(110)),
            (dec!(15000), Some(dec!(12.5)), 2, dec!(16875)),
            (dec!(99.99), Some(dec!(7.5)), 2, dec!(107.49)), // 107.48925 → 107.49
            (dec!(10.01), Some(dec!(15)), 2, dec!(11.51)),   // 11.5115 → 11.51
            (dec!(0.10), Some(dec!(5)), 2, dec!(0.11)),      // 0.105 → 0.11 (half away from zero)
            (dec!(-0.10), Some(dec!(5)), 2, dec!(-0.11)),    // -0.105 → -0.11 (symmetric)
            (dec!(0.10), Some(dec!(5)), 0, dec!(0)),
            (dec!(2.5), None, 0, dec!(3)), // .5 away from zero
            (dec!(-2.5), None, 0, dec!(-3)),
            (dec!(100), Some(dec!(0.333)), 4, dec!(100.333)),
            (dec!(100), Some(dec!(-100)), 2, dec!(0)),
        ];
        for (price, surcharge, decimals, expected) in cases {
            assert_eq!(
                fold_surcharge(price, surcharge, decimals),
                Some(expected),
                "{price} + {surcharge:?} % at {decimals} decimals"
            );
        }
    }

    #[test]
    fn line_total_table() {
        let cases = [
            (dec!(3), dec!(100), None, dec!(300)),
            (dec!(2.5), dec!(15000), Some(dec!(10)), dec!(33750)),
            (dec!(-2), dec!(110), None, dec!(-220)),
            (dec!(1), dec!(0.125), None, dec!(0.13)),
            (dec!(-1), dec!(0.125), None, dec!(-0.13)),
            (dec!(7), dec!(33.33), Some(dec!(100)), dec!(0)),
        ];
        for (q, p, d, expected) in cases {
            assert_eq!(line_total(q, p, d), Some(expected), "{q} × {p} − {d:?} %");
        }
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        assert_eq!(fold_surcharge(Decimal::MAX, Some(dec!(50)), 2), None);
        assert_eq!(line_total(Decimal::MAX, dec!(2), None), None);
        for decimals in [0, 2, 28, 40, u32::MAX] {
            assert!(line_tolerance(Decimal::MAX, None, decimals) > Decimal::ZERO);
            assert!(line_tolerance(Decimal::MIN, Some(dec!(300)), decimals) > Decimal::ZERO);
        }
    }

    #[test]
    fn significant_digits_table() {
        for (value, digits) in [
            (dec!(0), 0),
            (dec!(20812.50), 6),
            (dec!(0.0012), 2),
            (dec!(-1000), 4),
            (dec!(123456789012345), 15),
            (dec!(1234567890.123456), 16),
        ] {
            assert_eq!(significant_digits(value), digits, "{value}");
        }
    }

    #[test]
    fn tolerance_grows_with_quantity_and_decimals() {
        assert_eq!(line_tolerance(dec!(1), None, 2), dec!(0.015));
        assert_eq!(line_tolerance(dec!(-10), None, 2), dec!(0.06));
        assert_eq!(line_tolerance(dec!(10), Some(dec!(50)), 2), dec!(0.035));
        assert_eq!(line_tolerance(dec!(10), None, 0), dec!(5.01));
    }
}
