//! Configuration of every pallet in the runtime, one group per file.

pub mod collators;
pub mod compute;
pub mod identity;
pub mod monetary;
pub mod system;
pub mod treasury;
pub mod xcm;

pub use system::RuntimeBlockWeights;
