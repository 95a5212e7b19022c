//! Line arithmetic, to the cent: the line total DK+ computes from what we send, Moment's own line
//! total, and the unit price that carries a surcharge so that the two agree. All in [`Decimal`],
//! rounded half away from zero.
//!
//! DK+ has no surcharge field (Moment's page: the surcharge goes into the price) and keeps
//! numbers as doubles (15 significant digits). A line without a surcharge is sent with Moment's
//! unit price unchanged. A line with one gets the price `unit price × (1 + surcharge/100)`,
//! rounded to the fewest decimals — at least the configured `price_decimals` — for which DK+'s
//! line total equals Moment's; when no price can do that, the line is refused (or posted with a
//! warning under `TotalMismatch::Warn`). Nothing is compared with a tolerance.

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

/// An amount rounded to cents, as it is booked.
pub fn to_cents(amount: Decimal) -> Decimal {
    round(amount, MONEY_DECIMALS)
}

/// The line total DK+ computes: `quantity × unit_price × (1 − discount/100)`, rounded half away
/// from zero to cents. `None` only when the arithmetic overflows.
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
    Some(to_cents(raw))
}

/// The unit price with the surcharge folded in, unrounded: `unit_price × (1 + surcharge/100)`.
/// `None` only when the arithmetic overflows.
///
/// ```
/// use moment_dkplus_mapping::rules::with_surcharge;
/// use rust_decimal::Decimal;
/// let price = with_surcharge(Decimal::new(1999, 0), Some(Decimal::new(125, 1)));
/// assert_eq!(price, Some(Decimal::new(2248875, 3))); // 1999 + 12.5 % = 2248.875
/// ```
pub fn with_surcharge(unit_price: Decimal, surcharge_percent: Option<Decimal>) -> Option<Decimal> {
    let factor = HUNDRED.checked_add(surcharge_percent.unwrap_or(Decimal::ZERO))?;
    unit_price.checked_mul(factor)?.checked_div(HUNDRED)
}

/// The line total exactly as priced in Moment — quantity × unit price with its surcharge × (1 −
/// discount/100), rounded once to cents — for a line whose own total Moment does not give.
pub fn moment_line_total(
    quantity: Decimal,
    unit_price: Decimal,
    surcharge_percent: Option<Decimal>,
    discount_percent: Option<Decimal>,
) -> Option<Decimal> {
    line_total(
        quantity,
        with_surcharge(unit_price, surcharge_percent)?,
        discount_percent,
    )
}

/// The unit price to send for a line that carries a surcharge: `exact_price` (the price with the
/// surcharge folded in) rounded to the fewest decimals, from `preferred_decimals` up to what DK+
/// keeps (15 significant digits), for which DK+'s line total equals `target` (Moment's line
/// total, to the cent). `None` when no such price exists.
///
/// ```
/// use moment_dkplus_mapping::rules::price_for_total;
/// use rust_decimal::Decimal;
/// // 3 × 1999 with +12.5 % and −10 %: Moment books 6 071.96. 2248.88 would give 6 071.98, so
/// // the price keeps its third decimal.
/// let price = price_for_total(
///     Decimal::from(3),
///     Decimal::new(2248875, 3),
///     Some(Decimal::from(10)),
///     Decimal::new(607196, 2),
///     2,
/// );
/// assert_eq!(price, Some(Decimal::new(2248875, 3)));
/// ```
pub fn price_for_total(
    quantity: Decimal,
    exact_price: Decimal,
    discount_percent: Option<Decimal>,
    target: Decimal,
    preferred_decimals: u32,
) -> Option<Decimal> {
    let target = to_cents(target);
    let books_target = |price: Decimal| {
        significant_digits(price) <= DKPLUS_SIGNIFICANT_DIGITS
            && line_total(quantity, price, discount_percent) == Some(target)
    };
    // Moment's own price, rounded as little as DK+ allows.
    for decimals in preferred_decimals..=28 {
        let price = round(exact_price, decimals);
        if significant_digits(price) > DKPLUS_SIGNIFICANT_DIGITS {
            break;
        }
        if books_target(price) {
            return Some(price);
        }
        if price == exact_price {
            break;
        }
    }
    // Otherwise the price that yields Moment's total, if one with few enough digits exists.
    let kept = quantity
        .checked_mul(HUNDRED.checked_sub(discount_percent.unwrap_or(Decimal::ZERO))?)?
        .checked_div(HUNDRED)?;
    if kept.is_zero() {
        return None;
    }
    let solved = target.checked_div(kept)?;
    (preferred_decimals..=28)
        .map(|decimals| round(solved, decimals))
        .take_while(|price| significant_digits(*price) <= DKPLUS_SIGNIFICANT_DIGITS)
        .find(|price| books_target(*price))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn line_total_table() {
        let cases = [
            (dec!(3), dec!(100), None, dec!(300)),
            (dec!(2.5), dec!(15000), Some(dec!(10)), dec!(33750)),
            (dec!(-2), dec!(110), None, dec!(-220)),
            (dec!(1), dec!(0.125), None, dec!(0.13)),
            (dec!(-1), dec!(0.125), None, dec!(-0.13)),
            (dec!(7), dec!(33.33), Some(dec!(100)), dec!(0)),
            // The amounts that unit-price rounding used to lose.
            (dec!(1000000), dec!(0.0049), None, dec!(4900)),
            (dec!(400), dec!(12.345), None, dec!(4938)),
        ];
        for (q, p, d, expected) in cases {
            assert_eq!(line_total(q, p, d), Some(expected), "{q} × {p} − {d:?} %");
        }
    }

    #[test]
    fn a_surcharge_price_keeps_the_decimals_moments_total_needs() {
        // (quantity, unit price, surcharge, discount, Moment's line total, preferred decimals,
        //  expected price)
        let cases = [
            // Two decimals suffice.
            (
                dec!(4),
                dec!(18500),
                Some(dec!(12.5)),
                None,
                dec!(83250),
                2,
                Some(dec!(20812.50)),
            ),
            // 2248.88 would book 6 071.98; the exact 2248.875 books Moment's 6 071.96.
            (
                dec!(3),
                dec!(1999),
                Some(dec!(12.5)),
                Some(dec!(10)),
                dec!(6071.96),
                2,
                Some(dec!(2248.875)),
            ),
            // A large quantity needs the price unrounded.
            (
                dec!(1000000),
                dec!(0.0049),
                Some(dec!(10)),
                None,
                dec!(5390),
                2,
                Some(dec!(0.00539)),
            ),
            // Moment rounded its line differently: another price books Moment's total.
            (
                dec!(3),
                dec!(10),
                Some(dec!(10)),
                None,
                dec!(33.01),
                2,
                Some(dec!(11.003)),
            ),
            // A fully discounted line books 0 whatever the price: Moment's 5 cannot be reached.
            (
                dec!(2),
                dec!(10),
                Some(dec!(10)),
                Some(dec!(100)),
                dec!(5),
                2,
                None,
            ),
        ];
        for (q, p, s, d, target, decimals, expected) in cases {
            let exact = with_surcharge(p, s).unwrap();
            let price = price_for_total(q, exact, d, target, decimals);
            assert_eq!(price, expected, "{q} × {p} + {s:?} % − {d:?} % → {target}");
            if let Some(price) = price {
                assert_eq!(line_total(q, price, d), Some(target));
            }
        }
    }

    #[test]
    fn moments_line_total_is_rounded_once() {
        assert_eq!(
            moment_line_total(dec!(3), dec!(1999), Some(dec!(12.5)), Some(dec!(10))),
            Some(dec!(6071.96))
        );
        assert_eq!(
            moment_line_total(dec!(1), dec!(100.005), None, None),
            Some(dec!(100.01))
        );
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        assert_eq!(with_surcharge(Decimal::MAX, Some(dec!(50))), None);
        assert_eq!(line_total(Decimal::MAX, dec!(2), None), None);
        assert_eq!(
            price_for_total(Decimal::MAX, Decimal::MAX, None, dec!(1), 2),
            None
        );
        assert_eq!(price_for_total(dec!(0), dec!(5), None, dec!(1), 2), None);
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
}
