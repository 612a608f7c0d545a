//! The reward formula, as a pure function (documented with a worked example in
//! `docs/providers.md`).

use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Perbill, Rounding};

/// One provider's reward for one ended era, in plancks:
///
/// - `share  = ⌊pot × work / total_work⌋`, its part of the era's pot by the fee-paying work it
///   settled;
/// - `uptime = ⌊10⁹ × min(live, length) / length⌋` parts per billion, the share of the era's
///   blocks it was live;
/// - `reward = min(⌊share × uptime / 10⁹⌋, ⌊fees × cap / 10⁹⌋)`: at most `cap` of the fees its
///   own work carried, so work traded between two accounts of one owner always costs more in
///   fees than it earns.
///
/// Every step rounds down, so the rewards of an era never add up to more than its pot.
pub fn reward(
	pot: u128,
	total_work: u128,
	length: u128,
	work: u128,
	fees: u128,
	live: u128,
	cap: Perbill,
) -> u128 {
	if total_work == 0 || length == 0 {
		return 0;
	}
	// `work <= total_work` for every honest record; a larger `work` is clamped, not trusted.
	let share =
		multiply_by_rational_with_rounding(pot, work.min(total_work), total_work, Rounding::Down)
			.unwrap_or(0);
	let uptime = Perbill::from_rational(live.min(length), length);
	uptime.mul_floor(share).min(cap.mul_floor(fees))
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn the_worked_example_in_the_docs() {
		// An era of 14,400 blocks with a pot of 1,000 OFL; the provider settled 300 of the
		// era's 1,200 OFL of work, carrying 6 OFL of fees, and was live 13,680 blocks (95%).
		const OFL: u128 = 1_000_000_000_000;
		let cap = Perbill::from_percent(50);
		let reward = reward(1_000 * OFL, 1_200 * OFL, 14_400, 300 * OFL, 6 * OFL, 13_680, cap);
		// share 250 OFL × 95% = 237.5 OFL, capped at half its fees: 3 OFL.
		assert_eq!(reward, 3 * OFL);
		// Without the cap binding (fees of 600 OFL), 237.5 OFL.
		let uncapped =
			super::reward(1_000 * OFL, 1_200 * OFL, 14_400, 300 * OFL, 600 * OFL, 13_680, cap);
		assert_eq!(uncapped, 237_500_000_000_000);
	}

	#[test]
	fn no_work_or_an_empty_era_earns_nothing() {
		let cap = Perbill::one();
		assert_eq!(reward(100, 0, 10, 0, 100, 10, cap), 0);
		assert_eq!(reward(100, 10, 0, 10, 100, 10, cap), 0);
		assert_eq!(reward(100, 10, 10, 0, 100, 10, cap), 0);
	}

	#[test]
	fn more_live_blocks_than_the_era_has_count_as_the_whole_era() {
		let cap = Perbill::one();
		assert_eq!(reward(1_000, 10, 100, 10, 10_000, 500, cap), 1_000);
	}

	proptest! {
		/// However an era's work and uptime are split among providers, their rewards never add
		/// up to more than the pot, and none exceeds its cap.
		#[test]
		fn rewards_never_exceed_the_pot_or_the_cap(
			pot in 0u128..u128::MAX / 4,
			length in 1u128..1_000_000,
			cap in 0u32..=1_000_000_000,
			providers in proptest::collection::vec((0u128..u64::MAX as u128, 0u128..u64::MAX as u128, 0u128..2_000_000), 1..12),
		) {
			let cap = Perbill::from_parts(cap);
			let total_work: u128 = providers.iter().map(|(work, _, _)| *work).sum();
			let mut paid = 0u128;
			for (work, fees, live) in &providers {
				let reward = reward(pot, total_work, length, *work, *fees, *live, cap);
				prop_assert!(reward <= cap.mul_floor(*fees));
				paid += reward;
			}
			prop_assert!(paid <= pot, "paid {paid} of a pot of {pot}");
		}
	}
}
