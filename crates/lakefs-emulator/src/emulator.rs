//! The public handle, [`Emulator`]: shared, lockable access to the emulated server's data,
//! and the empty emulator. Its setup methods are in `setup.rs`, its request handling in `api/`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::model::State;

/// An in-memory lakeFS answering the 18 `experimental` operations and the stable object,
/// commit, ref, branch and repository operations with the real server's semantics (lakeFS
/// v1.84.0), plus the object store its presigned URLs point at.
///
/// Cheap to clone: clones share the state. Use it in-process as a
/// [`FakeTransport`](https://docs.rs/lakefs-transport) handler through
/// [`Emulator::handle`], or over HTTP with [`serve`](crate::serve).
///
/// ```
/// use lakefs_emulator::Emulator;
///
/// let emulator = Emulator::new(); // example-repo/main and feature, an admin key, users admin and alice
/// emulator.add_repository("analytics", "main");
/// emulator.put_object("analytics", "main", "raw/2026-11.csv", "a,b\n1,2\n");
/// emulator.commit("analytics", "main", "load 2026-11");
/// emulator.protect_branch("analytics", "main", true);
/// ```
#[derive(Clone)]
pub struct Emulator {
    pub(crate) state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Emulator")
            .field(
                "repositories",
                &state.repositories.keys().collect::<Vec<_>>(),
            )
            .field("uploads", &state.uploads.len())
            .field("storage_url", &state.storage_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// An emulator with nothing in it: no repository, user or key.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new())),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stores_on_s3(&self) -> bool {
        #[cfg(feature = "s3")]
        {
            self.lock().s3.is_some()
        }
        #[cfg(not(feature = "s3"))]
        {
            false
        }
    }
}
