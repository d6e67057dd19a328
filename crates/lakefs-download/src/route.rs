//! Where a part's bytes come from: a presigned URL of the object store, refreshed through
//! `statObject` before it expires and after the store says it has ([`PresignedUrl`]), or
//! lakeFS's `getObject`.

use std::time::Duration;

use http::Uri;
use lakefs_client::Client;
use lakefs_models::ObjectStats;
use lakefs_transport::HttpTransport;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::target::{ObjectIdentity, Target};
use crate::{Error, ErrorKind};

/// A presigned GET URL of the object, shared by all parts: one refresh at a time, and one
/// per expiry however many parts meet it.
pub(crate) struct PresignedUrl {
    state: Mutex<UrlState>,
    margin: Duration,
}

#[derive(Clone)]
struct UrlState {
    url: Uri,
    /// When to ask for a fresh one (`None`: never before the store refuses it).
    refresh_at: Option<Instant>,
    /// Bumped by each refresh, so that parts that met one expiry ask once.
    generation: u64,
}

/// A URL and the generation it belongs to.
pub(crate) struct CurrentUrl {
    pub(crate) url: Uri,
    pub(crate) generation: u64,
}

impl PresignedUrl {
    /// The URL of `stats` (from a presigned `statObject`), or `None` when its address is not
    /// an `http(s)` URL (a blockstore that cannot presign answers its plain address).
    pub(crate) fn from_stats(stats: &ObjectStats, margin: Duration) -> Option<Self> {
        let url = presigned_url(stats)?;
        Some(Self {
            state: Mutex::new(UrlState {
                refresh_at: refresh_at(&url, stats, margin),
                url,
                generation: 0,
            }),
            margin,
        })
    }

    /// The URL to use now: refreshed first when it expires within the margin.
    pub(crate) async fn current<T: HttpTransport>(
        &self,
        client: &Client<T>,
        target: &Target,
        identity: &ObjectIdentity,
    ) -> Result<(CurrentUrl, bool), Error> {
        let mut state = self.state.lock().await;
        let mut refreshed = false;
        if state.refresh_at.is_some_and(|at| Instant::now() >= at) {
            self.refresh(&mut state, client, target, identity).await?;
            refreshed = true;
        }
        Ok((
            CurrentUrl {
                url: state.url.clone(),
                generation: state.generation,
            },
            refreshed,
        ))
    }

    /// The store refused the URL of `generation` as expired: a fresh one, unless another part
    /// already got it.
    pub(crate) async fn expired<T: HttpTransport>(
        &self,
        generation: u64,
        client: &Client<T>,
        target: &Target,
        identity: &ObjectIdentity,
    ) -> Result<bool, Error> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            return Ok(false);
        }
        self.refresh(&mut state, client, target, identity).await?;
        Ok(true)
    }

    async fn refresh<T: HttpTransport>(
        &self,
        state: &mut UrlState,
        client: &Client<T>,
        target: &Target,
        identity: &ObjectIdentity,
    ) -> Result<(), Error> {
        let stats = match target.stat(client, true).await {
            Ok(stats) => stats,
            Err(error) if error.kind() == lakefs_client::ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::ObjectChanged,
                    "the object was deleted during the download",
                ))
            }
            Err(error) => return Err(Error::api(error)),
        };
        if let Some(changed) = identity.compare(&ObjectIdentity::of(&stats)?) {
            return Err(changed);
        }
        let url = presigned_url(&stats).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "statObject with presign answered an address that is no URL",
            )
        })?;
        state.refresh_at = refresh_at(&url, &stats, self.margin);
        state.url = url;
        state.generation += 1;
        Ok(())
    }
}

fn presigned_url(stats: &ObjectStats) -> Option<Uri> {
    let address = stats.physical_address.as_str();
    if !(address.starts_with("https://") || address.starts_with("http://")) {
        return None;
    }
    address.parse::<Uri>().ok().filter(|u| u.host().is_some())
}

/// When to refresh: `margin` before the URL's lifetime ends, measured from now (its
/// `X-Amz-Expires`, so that a skewed clock does not matter), or from lakeFS's
/// `physical_address_expiry` when the URL has none. `None` when neither says, or when the
/// lifetime is no longer than the margin (then only a refusal refreshes it, else every part
/// would ask for a new URL).
fn refresh_at(url: &Uri, stats: &ObjectStats, margin: Duration) -> Option<Instant> {
    let lifetime = amz_expires(url).or_else(|| {
        let expiry = stats.physical_address_expiry.filter(|e| *e > 0)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        u64::try_from(expiry)
            .ok()?
            .checked_sub(now)
            .map(Duration::from_secs)
    })?;
    let useful = lifetime.checked_sub(margin).filter(|d| !d.is_zero())?;
    Some(Instant::now() + useful)
}

/// SigV4's `X-Amz-Expires` (seconds) of a presigned URL.
fn amz_expires(url: &Uri) -> Option<Duration> {
    url.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("X-Amz-Expires"))
        .and_then(|(_, value)| value.parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_comes_from_the_url_first() {
        let url: Uri =
            "https://b.s3/k?X-Amz-Date=20261123T101500Z&X-Amz-Expires=900&X-Amz-Signature=s"
                .parse()
                .unwrap();
        assert_eq!(amz_expires(&url), Some(Duration::from_secs(900)));
        let plain: Uri = "https://b.s3/k".parse().unwrap();
        assert_eq!(amz_expires(&plain), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lifetime_within_the_margin_is_never_refreshed_ahead() {
        let stats = ObjectStats::new("p", "https://b/k?X-Amz-Expires=30", "c", 0);
        let url = presigned_url(&stats).unwrap();
        assert_eq!(refresh_at(&url, &stats, Duration::from_secs(60)), None);
        let at = refresh_at(&url, &stats, Duration::from_secs(10)).unwrap();
        assert_eq!(at - Instant::now(), Duration::from_secs(20));
    }

    #[test]
    fn plain_addresses_are_no_presigned_urls() {
        for address in ["s3://bucket/key", "local://x", "data/abc", ""] {
            assert!(presigned_url(&ObjectStats::new("p", address, "c", 0)).is_none());
        }
    }
}
