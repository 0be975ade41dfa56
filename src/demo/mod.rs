//! `dvc-monitor demo`: a real province, simulated through the real ingest path.

pub mod inbox;
pub mod national_sync;
pub mod province;
pub mod run;
pub mod simulator;
