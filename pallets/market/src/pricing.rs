//! Prices, in plain integer arithmetic: what a run costs at a provider's prices, and the highest
//! unit price a job's cap allows. Computed in `u128` and saturating, then capped by the job's
//! budget, so an overflow can only ever lower a payment to the cap.

use crate::types::{Pricing, Usage};
use offload_primitives::{Prices, RuntimeKind};
use sp_runtime::traits::{UniqueSaturatedFrom, UniqueSaturatedInto};

const MILLION: u128 = 1_000_000;

/// `base_per_job` + `per_million_fuel` × fuel / 10⁶ (rounded up) + `per_second` × seconds.
pub fn cost<B: UniqueSaturatedInto<u128> + Copy>(prices: &Prices<B>, usage: &Usage) -> u128 {
	let base: u128 = prices.base_per_job.unique_saturated_into();
	let per_million: u128 = prices.per_million_fuel.unique_saturated_into();
	let per_second: u128 = prices.per_second.unique_saturated_into();
	let fuel = per_million.saturating_mul(usage.fuel as u128).div_ceil(MILLION);
	let time = per_second.saturating_mul(usage.seconds as u128);
	base.saturating_add(fuel).saturating_add(time)
}

/// What a replica is paid for `usage`: the cost at `prices`, at most `cap`.
pub fn payment<B>(prices: &Prices<B>, usage: &Usage, cap: B) -> B
where
	B: UniqueSaturatedInto<u128> + UniqueSaturatedFrom<u128> + Copy,
{
	let cap_wide: u128 = cap.unique_saturated_into();
	B::unique_saturated_from(cost(prices, usage).min(cap_wide))
}

/// What a replica that delivered the agreed result is paid under `pricing`, at its `prices`:
/// pay-per-use, the cost of the agreed `usage`, at most the budget; a fixed price, the
/// replica's own quote at the job's limits (`max_usage`), at most the price. A provider is
/// ranked by that same quote, so quoting lower to win a job means earning less from it.
pub fn replica_payment<B>(
	pricing: &Pricing<B>,
	prices: &Prices<B>,
	max_usage: &Usage,
	usage: &Usage,
) -> B
where
	B: UniqueSaturatedInto<u128> + UniqueSaturatedFrom<u128> + Copy,
{
	match *pricing {
		Pricing::PayPerUse { budget } => payment(prices, usage, budget),
		Pricing::Fixed { price } => payment(prices, max_usage, price),
	}
}

/// The highest price per unit (per million fuel, or per second) at which a run at `max_usage`
/// can cost no more than `cap`; bands above it cannot hold a fitting provider.
pub fn max_unit_price<B>(kind: RuntimeKind, max_usage: &Usage, cap: B) -> B
where
	B: UniqueSaturatedInto<u128> + UniqueSaturatedFrom<u128> + Copy,
{
	let cap: u128 = cap.unique_saturated_into();
	let limit = match kind {
		RuntimeKind::Wasm => cap.saturating_mul(MILLION).checked_div(max_usage.fuel as u128),
		RuntimeKind::Container => cap.checked_div(max_usage.seconds as u128),
	};
	B::unique_saturated_from(limit.unwrap_or(u128::MAX))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn prices(per_million_fuel: u64, per_second: u64, base_per_job: u64) -> Prices<u64> {
		Prices { per_million_fuel, per_second, base_per_job }
	}

	#[test]
	fn cost_adds_base_fuel_and_time_and_rounds_fuel_up() {
		let p = prices(1_000, 7, 50);
		assert_eq!(cost(&p, &Usage { fuel: 2_000_000, seconds: 0 }), 50 + 2_000);
		assert_eq!(cost(&p, &Usage { fuel: 1, seconds: 0 }), 50 + 1);
		assert_eq!(cost(&p, &Usage { fuel: 0, seconds: 3 }), 50 + 21);
		assert_eq!(cost(&p, &Usage::default()), 50);
	}

	#[test]
	fn payment_is_capped_and_never_overflows() {
		let p = prices(u64::MAX, u64::MAX, u64::MAX);
		let huge = Usage { fuel: u64::MAX, seconds: u32::MAX };
		assert_eq!(payment(&p, &huge, 900u64), 900);
		assert_eq!(
			payment(&prices(1_000, 0, 0), &Usage { fuel: 500_000, seconds: 0 }, 900u64),
			500
		);
	}

	#[test]
	fn the_unit_price_limit_matches_the_cap_at_the_limits() {
		let fuel = Usage { fuel: 2_000_000, seconds: 0 };
		assert_eq!(max_unit_price(RuntimeKind::Wasm, &fuel, 1_000u64), 500);
		let time = Usage { fuel: 0, seconds: 10 };
		assert_eq!(max_unit_price(RuntimeKind::Container, &time, 1_000u64), 100);
		// No usage limit: any unit price fits.
		assert_eq!(max_unit_price(RuntimeKind::Wasm, &Usage::default(), 1u64), u64::MAX);
	}
}
