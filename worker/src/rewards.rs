//! `offload rewards`: what an account earned from the reward pool, era by era, and its claim.

use crate::{
	api::{self, EraEarning, Event, RewardsEvent},
	chain::{AccountId, Balance, Chain},
	config::format_ofl,
};
use anyhow::Result;
use sp_core::sr25519;

/// An era's uptime, in percent: live blocks over the era's length.
fn uptime(earning: &EraEarning<Balance, u32>) -> f64 {
	if earning.length == 0 {
		return 0.0;
	}
	100.0 * f64::from(earning.live.min(earning.length)) / f64::from(earning.length)
}

/// Prints the era in progress and `who`'s unclaimed eras; returns what a claim pays now and
/// how many ended eras it settles.
pub async fn show(chain: &Chain, who: &AccountId) -> Result<(Balance, usize)> {
	let apis = api::runtime_apis().rewards_api();
	let era = chain.runtime_call(apis.era(), None).await?;
	let earnings = chain.runtime_call(apis.earnings(who.clone()), None).await?;
	println!(
		"era {} runs blocks {} to {}: pot so far {}, work {}, emission {} per block; an era can be claimed for {} eras after it ends",
		era.index,
		era.start,
		era.start.saturating_add(era.length),
		format_ofl(era.pot),
		format_ofl(era.work),
		format_ofl(era.emission_per_block),
		era.claim_eras,
	);
	if earnings.is_empty() {
		println!("{who}: no unclaimed eras");
	}
	let mut claimable: Balance = 0;
	for earning in &earnings {
		println!(
			"era {}: work {} of {} (fees {}), live {} of {} blocks ({:.1}%), pot {} -> reward {}{}",
			earning.era,
			format_ofl(earning.work),
			format_ofl(earning.total_work),
			format_ofl(earning.fees),
			earning.live.min(earning.length),
			earning.length,
			uptime(earning),
			format_ofl(earning.pot),
			format_ofl(earning.reward),
			if earning.claimable { "" } else { " (era in progress: an estimate)" },
		);
		if earning.claimable {
			claimable = claimable.saturating_add(earning.reward);
		}
	}
	println!("claimable now: {}", format_ofl(claimable));
	Ok((claimable, earnings.iter().filter(|earning| earning.claimable).count()))
}

/// Claims the signer's ended eras; prints and returns what each paid.
pub async fn claim(chain: &Chain, pair: &sr25519::Pair) -> Result<Vec<(u32, Balance)>> {
	let included = chain.execute(pair, &api::tx().rewards().claim()).await?;
	let paid: Vec<(u32, Balance)> = included
		.events
		.iter()
		.filter_map(|event| match event {
			Event::Rewards(RewardsEvent::Rewarded { era, amount, .. }) => Some((*era, *amount)),
			_ => None,
		})
		.collect();
	for (era, amount) in &paid {
		println!("era {era}: paid {}", format_ofl(*amount));
	}
	let total = paid.iter().fold(0, |sum: Balance, (_, amount)| sum.saturating_add(*amount));
	println!("claimed {} in block {:?}", format_ofl(total), included.block);
	Ok(paid)
}
