//! The nine operations, as methods of [`ExperimentalClient`](crate::ExperimentalClient),
//! one module per topic.

mod branches;
mod external_principals;
mod presign_multipart;

pub use presign_multipart::MAX_PARTS;
mod sts;

pub use external_principals::ListExternalPrincipals;
