//! `offload subscribe` and `offload subscriptions`: renting a provider's capacity by the
//! period, and following, renewing and cancelling what was rented.

use crate::{
	api::{self, Event, Resources, RuntimeKind, SubscriptionView, SubscriptionsEvent},
	chain::{AccountId, Balance, Chain},
	config::format_ofl,
};
use anyhow::{anyhow, bail, Context, Result};
use sp_core::sr25519;

/// What to rent.
#[derive(Clone, Debug)]
pub struct Rent {
	/// The runtime kind its jobs use.
	pub kind: RuntimeKind,
	/// The capacity.
	pub resources: Resources,
	/// Least reputation of the provider, in percent.
	pub min_reputation: u8,
	/// A period's length, in blocks.
	pub period: u32,
}

/// A period's length in blocks from `text`: a block count (`600`) or a duration in seconds,
/// minutes, hours or days (`90s`, `30m`, `2h`, `1d`), at `millis_per_block`.
pub fn parse_period(text: &str, millis_per_block: u64) -> Result<u32> {
	let text = text.trim();
	let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
		Some((at, _)) => text.split_at(at),
		None => (text, ""),
	};
	let number: u64 = number.parse().map_err(|_| anyhow!("`{text}` is not a period"))?;
	let seconds = match unit {
		"" => return u32::try_from(number).map_err(|_| anyhow!("`{text}`: too many blocks")),
		"s" => number,
		"m" => number.saturating_mul(60),
		"h" => number.saturating_mul(3_600),
		"d" => number.saturating_mul(86_400),
		_ => bail!("`{text}`: a period is blocks, or a number followed by s, m, h or d"),
	};
	let blocks = seconds.saturating_mul(1_000) / millis_per_block.max(1);
	u32::try_from(blocks).map_err(|_| anyhow!("`{text}` is too long"))
}

/// The chain's block time, in milliseconds, for periods given as durations.
pub async fn millis_per_block(chain: &Chain) -> Result<u64> {
	chain.constant(api::constants().subscriptions().millis_per_block()).await
}

fn permill(percent: u8) -> api::Permill {
	api::Permill(u32::from(percent.min(100)) * 10_000)
}

/// Prints and returns the provider and price a subscription would get now.
pub async fn quote(chain: &Chain, who: &AccountId, rent: &Rent) -> Result<(AccountId, Balance)> {
	let call = api::runtime_apis().subscriptions_api().quote(
		who.clone(),
		rent.kind.clone(),
		rent.resources,
		permill(rent.min_reputation),
		rent.period,
	);
	let quote = chain
		.runtime_call(call, None)
		.await?
		.ok_or_else(|| anyhow!("no provider offers this capacity now"))?;
	println!(
		"provider {}: {} per period of {} blocks, plus a fee of {}; deposit {} while subscribed",
		quote.provider,
		format_ofl(quote.price),
		rent.period,
		format_ofl(quote.fee),
		format_ofl(quote.deposit),
	);
	Ok((quote.provider, quote.price))
}

/// Subscribes the signer; returns the subscription's id.
pub async fn subscribe(
	chain: &Chain,
	pair: &sr25519::Pair,
	rent: &Rent,
	max_price: Balance,
	periods: u32,
) -> Result<u64> {
	let call = api::tx().subscriptions().subscribe(
		rent.kind.clone(),
		rent.resources,
		max_price,
		permill(rent.min_reputation),
		rent.period,
		periods,
	);
	let included = chain.execute(pair, &call).await?;
	let (id, provider, price, first_end) = included
		.events
		.iter()
		.find_map(|event| match event {
			Event::Subscriptions(SubscriptionsEvent::Subscribed {
				subscription,
				provider,
				price,
				first_end,
				..
			}) => Some((*subscription, provider.clone(), *price, *first_end)),
			_ => None,
		})
		.context("the chain did not report the subscription")?;
	println!(
		"subscription {id}: provider {provider}, {} per period, {periods} periods prepaid; the first settles at block {first_end}",
		format_ofl(price)
	);
	Ok(id)
}

/// Prints `who`'s subscriptions (as requester and as provider); returns them.
pub async fn list(
	chain: &Chain,
	who: &AccountId,
) -> Result<Vec<SubscriptionView<AccountId, Balance, u32>>> {
	let call = api::runtime_apis().subscriptions_api().subscriptions_of(who.clone());
	let views = chain.runtime_call(call, None).await?;
	if views.is_empty() {
		println!("{who}: no subscriptions");
	}
	for view in &views {
		let sub = &view.subscription;
		let role = if sub.requester == *who { "rented from" } else { "rented by" };
		let other = if sub.requester == *who { &sub.provider } else { &sub.requester };
		println!(
			"subscription {}: {role} {other}, {} per period of {} blocks; {} periods left (prepaid {}); period {}..{}, provider live {} blocks so far; {} job{} open, using {} of {} millicores and {} of {} MiB{}{}",
			view.id,
			format_ofl(sub.price),
			sub.period,
			sub.periods_left,
			format_ofl(view.prepaid),
			sub.period_start,
			sub.period_end,
			view.live,
			sub.jobs,
			if sub.jobs == 1 { "" } else { "s" },
			sub.in_use.cpu_millicores,
			sub.resources.cpu_millicores,
			sub.in_use.memory_mib,
			sub.resources.memory_mib,
			if sub.missed > 0 { format!("; {} job(s) missed this period", sub.missed) } else { String::new() },
			if sub.ending { "; ends when this period settles" } else { "" },
		);
	}
	Ok(views)
}

/// The provider of subscription `id`, which must be running.
pub async fn provider_of(chain: &Chain, id: u64) -> Result<AccountId> {
	let subscription = chain
		.storage(api::storage().subscriptions().records(), (id,), None)
		.await?
		.ok_or_else(|| anyhow!("subscription {id} does not exist or has ended"))?;
	Ok(subscription.provider)
}

/// Prepays `periods` more periods of the signer's subscription `id`.
pub async fn renew(chain: &Chain, pair: &sr25519::Pair, id: u64, periods: u32) -> Result<()> {
	let included = chain.execute(pair, &api::tx().subscriptions().renew(id, periods)).await?;
	for event in &included.events {
		if let Event::Subscriptions(SubscriptionsEvent::Renewed { periods_left, .. }) = event {
			println!("subscription {id}: {periods_left} periods prepaid");
		}
	}
	Ok(())
}

/// Cancels subscription `id` (as its requester or provider) at its next period boundary.
pub async fn cancel(chain: &Chain, pair: &sr25519::Pair, id: u64) -> Result<()> {
	chain.execute(pair, &api::tx().subscriptions().cancel(id)).await?;
	println!("subscription {id} ends when its running period settles");
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::parse_period;

	#[test]
	fn periods_are_blocks_or_durations_at_the_chains_block_time() {
		assert_eq!(parse_period("600", 6_000).ok(), Some(600));
		assert_eq!(parse_period("30m", 6_000).ok(), Some(300));
		assert_eq!(parse_period("1h", 6_000).ok(), Some(600));
		assert_eq!(parse_period("1d", 6_000).ok(), Some(14_400));
		assert_eq!(parse_period("90s", 500).ok(), Some(180));
		assert!(parse_period("1w", 6_000).is_err());
		assert!(parse_period("h", 6_000).is_err());
		assert!(parse_period("99999999999", 6_000).is_err());
	}
}
