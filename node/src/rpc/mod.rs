//! The node's JSON-RPC methods beyond the standard ones: account nonces, fee queries, and
//! Offload's own `offload_*` methods ([`offload`]).

pub mod json;
pub mod offload;

use crate::service::{FullClient, TransactionPool};
use jsonrpsee::RpcModule;
use offload_runtime::{opaque::Block, AccountId, Hash, Nonce};
use std::sync::Arc;

/// What the RPC methods need.
pub struct FullDeps {
	/// The client.
	pub client: Arc<FullClient>,
	/// The transaction pool.
	pub pool: Arc<TransactionPool>,
}

/// The RPC module with every extension method.
pub fn create_full(
	deps: FullDeps,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>> {
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let FullDeps { client, pool } = deps;
	let mut module = RpcModule::new(());
	module.merge(SystemApiServer::<Hash, AccountId, Nonce>::into_rpc(
		System::<_, _, Block>::new(client.clone(), pool),
	))?;
	module.merge(TransactionPaymentApiServer::<Hash, _>::into_rpc(
		TransactionPayment::<_, Block>::new(client.clone()),
	))?;
	module.merge(offload::OffloadApiServer::into_rpc(offload::Offload::new(client)))?;
	Ok(module)
}
