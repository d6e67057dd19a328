//! Memory a user can predict: part buffers go back to the system when a part is done.
//!
//! Uploads and downloads hold whole parts (up to 16 MiB each) in memory, and free each one
//! when its part is written. glibc's `malloc` serves such blocks with `mmap` at first, but
//! raises its threshold after the first free, and from then on keeps freed part buffers in its
//! per-thread arenas: a download with 10 × 8 MiB parts in flight peaked at 150–180 MiB of RSS
//! instead of the ~90 MiB the parts explain (measured with `benches/download/compare.sh`). A
//! fixed threshold of 1 MiB keeps every part buffer `mmap`ped, so it is returned to the system
//! when freed, and peak memory follows the bound the `--concurrency` help states.

/// Blocks of this size and more are `mmap`ped and unmapped on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;

/// Makes glibc return freed part buffers to the system, unless the user set
/// `MALLOC_MMAP_THRESHOLD_` (glibc's own tunable) themselves. Call before any thread starts.
pub(crate) fn return_part_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: `mallopt` only sets a parameter of glibc's allocator; it is called once,
        // before the runtime starts any thread. A refused value (0 returned) leaves the
        // default behaviour, which is only less frugal.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}
