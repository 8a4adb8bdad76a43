//! The commissioning record: journal, final log, signature, report.

pub mod allowed_signers;
pub mod audit;
pub mod folders;
pub mod journal;
pub mod record;
pub mod report;
pub mod session;
pub mod sign;
pub mod signoff;
pub mod warnings;
